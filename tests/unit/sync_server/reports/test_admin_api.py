"""Admin backend routes over a real SQLite DB through FastAPI's test client."""

import hashlib

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import BlobIn, IdStore
from sync_server.reports.api import build_admin_backend_router
from sync_server.reports.runner import ReportService
from sync_server.services.report_context import server_report_context


@pytest.fixture
def app(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    create_backend_tables(engine)
    service = ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )
    service.install_builtin_definitions()
    store = IdStore(engine=engine, keyring=DataKeyring(tmp_path))

    def admin(authorization: str = Header("")) -> str:
        if authorization != "Bearer admin-token":
            raise HTTPException(401, "admin token required")
        return "admin1"

    api = FastAPI()
    api.include_router(
        build_admin_backend_router(
            report_service=lambda: service, id_store=lambda: store, report_user=admin, identity_reader=admin
        ),
        prefix="/api/v1/admin",
    )
    return TestClient(api, headers={"Authorization": "Bearer admin-token"}), store


def test_reports_run_and_download_with_checksum(app):
    client, _ = app
    assert client.get("/api/v1/admin/reports", headers={"Authorization": ""}).status_code == 401
    assert "rejections" in {d["id"] for d in client.get("/api/v1/admin/reports").json()}
    assert client.post("/api/v1/admin/reports/rejections/run").status_code == 202
    runs = client.get("/api/v1/admin/reports/rejections/runs").json()
    assert runs[0]["status"] == "succeeded" and {a["format"] for a in runs[0]["artifacts"]} == {
        "csv",
        "json",
        "pdf",
    }
    pdf = client.get(f"/api/v1/admin/reports/runs/{runs[0]['id']}/artifacts/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    checksum = client.get(f"/api/v1/admin/reports/runs/{runs[0]['id']}/artifacts/pdf.sha256").text
    assert checksum.split()[0] == hashlib.sha256(pdf.content).hexdigest() == pdf.headers["X-Checksum-SHA256"]
    assert client.post("/api/v1/admin/reports/nope/run").status_code == 404


def test_identity_lookup_is_audited(app):
    client, store = app
    uin = store.issue_uin(rid="R1")
    store.write_identity(
        uin=uin,
        rid="R1",
        demographics={"fullName": "Ana"},
        dedupe_key="k",
        center_id="10001",
        blobs_in=[BlobIn("biometric", "face:Face", "application/octet-stream", b"FAC")],
    )
    body = client.get(f"/api/v1/admin/identities/by-uin/{uin}", params={"purpose": "ticket 1"}).json()
    assert body["rid"] == "R1" and body["blobs"][0]["bytes"] == 3
    assert (
        client.get("/api/v1/admin/identities/by-rid/R1", params={"purpose": "ticket 2"}).json()["uin"] == uin
    )
    assert client.get("/api/v1/admin/identities/by-rid/R9", params={"purpose": "xyz"}).status_code == 404
    assert client.get(f"/api/v1/admin/identities/by-uin/{uin}").status_code == 422  # purpose is required
    for purpose in ("   ", "x" * 501):  # blank or unbounded purposes are refused and read nothing
        assert (
            client.get(f"/api/v1/admin/identities/by-uin/{uin}", params={"purpose": purpose}).status_code
            == 422
        )
    assert [(r["actor"], r["purpose"]) for r in store.read_audit(uin)] == [
        ("admin1", "ticket 1"),
        ("admin1", "ticket 2"),
    ]

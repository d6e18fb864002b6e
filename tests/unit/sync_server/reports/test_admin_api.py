"""Admin backend routes over a real SQLite DB through FastAPI's test client."""

import hashlib
import json
import time
from types import SimpleNamespace

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import BlobIn, IdStore
from sync_server.report_parts import build_report_parts
from sync_server.reports.api import build_admin_backend_router
from sync_server.reports.definition_api import build_webhook_router
from sync_server.reports.triggers import webhook_signature


@pytest.fixture
def app(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    create_backend_tables(engine)
    parts = build_report_parts(engine, tmp_path)
    parts.reports.install_builtin_definitions()
    store = IdStore(engine=engine, keyring=DataKeyring(tmp_path))

    def admin(authorization: str = Header("")) -> str:
        if authorization != "Bearer admin-token":
            raise HTTPException(401, "admin token required")
        return "admin1"

    api = FastAPI()
    api.include_router(
        build_webhook_router(watcher=lambda: parts.report_triggers, report_service=lambda: parts.reports),
        prefix="/api/v1",
    )
    api.include_router(
        build_admin_backend_router(
            backend=lambda: SimpleNamespace(report_parts=parts, reports_changed=lambda: None),
            id_store=lambda: store,
            report_user=admin,
            identity_reader=admin,
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
        "meta",
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


def test_definitions_are_saved_as_versions_run_with_parameters_and_followed_live(app, tmp_path):
    client, _ = app
    spec = {
        "title": "Rejections this week",
        "source": {"kind": "builtin", "function": "rejection_reasons"},
        "parameters": [{"name": "days", "type": "integer", "default": 7}],
        "validations": [{"kind": "rule", "name": "counts", "expression": "packets >= 0"}],
        "formats": ["csv", "xml"],
        "schedule": {"cron": "0 6 * * 1-5", "timezone": "Africa/Nairobi", "business_days": "skip"},
    }
    saved = client.put("/api/v1/admin/reports/weekly", json={"spec": spec})
    assert saved.status_code == 200 and saved.json()["version"] == 1
    assert (
        client.put(
            "/api/v1/admin/reports/weekly", json={"spec": spec | {"title": "x"}, "expected_version": 0}
        ).status_code
        == 422
    )
    second = client.put(
        "/api/v1/admin/reports/weekly", json={"spec": spec | {"title": "Weekly"}, "expected_version": 1}
    )
    assert second.json()["version"] == 2
    stale = client.put(
        "/api/v1/admin/reports/weekly", json={"spec": spec | {"title": "Old"}, "expected_version": 1}
    )
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]
    bad = client.put(
        "/api/v1/admin/reports/weekly", json={"spec": spec | {"routes": [{"destination": "nowhere"}]}}
    )
    assert bad.status_code == 422 and "no destination 'nowhere'" in bad.json()["detail"]
    assert client.put("/api/v1/admin/reports/runs", json={"spec": spec}).status_code == 422  # reserved
    listed = client.get("/api/v1/admin/reports/weekly").json()
    assert listed["version"] == 2 and len(listed["next_runs"]) == 5 and listed["spec"]["title"] == "Weekly"
    assert [v["version"] for v in client.get("/api/v1/admin/reports/weekly/versions").json()] == [2, 1]
    assert client.get("/api/v1/admin/reports/weekly/versions/1").json()["title"] == "Rejections this week"

    assert (
        client.post("/api/v1/admin/reports/weekly/run", json={"parameters": {"days": "x"}}).status_code == 422
    )
    started = client.post("/api/v1/admin/reports/weekly/run", json={"parameters": {"days": 3}})
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    run = client.get(f"/api/v1/admin/reports/runs/{run_id}").json()
    assert (
        run["status"] == "succeeded" and run["definition_version"] == 2 and run["parameters"] == {"days": 3}
    )
    assert [v["name"] for v in run["validations"]] == ["counts"]
    assert {a["format"] for a in run["artifacts"]} == {"csv", "xml", "meta"}
    with client.stream("GET", f"/api/v1/admin/reports/runs/{run_id}/events/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    logs = [json.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"id"')]
    assert logs[0]["stage"] == "query" and "event: end" in text and '"status": "succeeded"' in text
    resumed = client.get(
        f"/api/v1/admin/reports/runs/{run_id}/events/stream", headers={"Last-Event-ID": str(logs[-2]["id"])}
    )
    assert resumed.text.count("event: log") == 1
    rerun = client.post(f"/api/v1/admin/reports/runs/{run_id}/rerun", json={"parameters": {"days": 1}}).json()
    again = client.get(f"/api/v1/admin/reports/runs/{rerun['run_id']}").json()
    assert (
        again["trigger"] == "rerun"
        and again["parent_run_id"] == run_id
        and again["parameters"] == {"days": 1}
    )
    assert client.get("/api/v1/admin/reports/runs/999999").status_code == 404


def test_a_signed_webhook_starts_a_run_once(app):
    client, _ = app
    spec = {
        "title": "Hooked",
        "source": {"kind": "builtin", "function": "rejection_reasons"},
        "formats": ["csv"],
    }
    client.put("/api/v1/admin/reports/hooked", json={"spec": spec})
    key = client.post("/api/v1/admin/reports/hooked/webhook-key").json()["key"]
    body = b'{"parameters": {}}'
    stamp = str(int(time.time()))
    headers = {"X-OpenReg-Timestamp": stamp, "X-OpenReg-Signature": webhook_signature(key, stamp, body)}
    refused = client.post(
        "/api/v1/reports/hooks/hooked", content=body, headers=headers | {"Authorization": ""}
    )
    assert refused.status_code == 404  # the definition does not take webhooks yet
    client.put("/api/v1/admin/reports/hooked", json={"spec": spec | {"triggers": {"webhook": True}}})
    started = client.post(
        "/api/v1/reports/hooks/hooked", content=body, headers=headers | {"Authorization": ""}
    )
    assert started.status_code == 202, started.text
    run = client.get(f"/api/v1/admin/reports/runs/{started.json()['run_id']}").json()
    assert run["trigger"] == "webhook" and run["status"] == "succeeded"
    again = client.post("/api/v1/reports/hooks/hooked", content=body, headers=headers | {"Authorization": ""})
    assert again.status_code == 409
    forged = headers | {"X-OpenReg-Signature": "sha256=" + "0" * 64, "Authorization": ""}
    assert client.post("/api/v1/reports/hooks/hooked", content=body, headers=forged).status_code == 401
    assert client.post("/api/v1/reports/hooks/hooked", content=body).status_code == 422  # headers missing

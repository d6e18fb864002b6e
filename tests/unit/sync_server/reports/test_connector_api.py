"""Connector routes over a real SQLite server DB through FastAPI's test client: bounded inputs, clear
refusals, audited changes, and no password in any response."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.connector_api import build_connector_router
from sync_server.reports.connectors import Connectors
from sync_server.reports.secrets import ReportSecrets
from sync_server.services.audit import list_entries

BASE = "/api/v1/admin/reports/connectors"
PASSWORD = "pw-123456"


@pytest.fixture
def client(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    create_backend_tables(engine)
    with sqlite3.connect(tmp_path / "data.db") as data:
        data.execute("CREATE TABLE t (x integer)")
    connectors = Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)))

    def admin(authorization: str = Header("")) -> str:
        if authorization != "Bearer admin-token":
            raise HTTPException(401, "admin token required")
        return "admin1"

    api = FastAPI()
    api.include_router(
        build_connector_router(connectors=lambda: connectors, report_user=admin), prefix="/api/v1/admin"
    )
    yield TestClient(api, headers={"Authorization": "Bearer admin-token"}), connectors, tmp_path
    connectors.dispose()
    engine.dispose()


def test_create_list_test_update_delete(client):
    http, connectors, tmp_path = client
    assert http.get(BASE, headers={"Authorization": ""}).status_code == 401
    assert [c["id"] for c in http.get(BASE).json()] == ["server"]

    url = f"sqlite:///{tmp_path / 'data.db'}"
    saved = http.put(f"{BASE}/data", json={"title": "Data", "url": url, "options": {"timeout_s": 5}})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (
        body["dialect"] == "sqlite" and body["options"]["timeout_s"] == 5 and body["updated_by"] == "admin1"
    )
    tested = http.post(f"{BASE}/data/test").json()
    assert tested["ok"] is True and tested["detail"].startswith("connected: sqlite (pysqlite)")

    # an update without url keeps it; without options keeps them
    renamed = http.put(f"{BASE}/data", json={"title": "Renamed"}).json()
    assert (renamed["title"], renamed["url"], renamed["options"]["timeout_s"]) == ("Renamed", body["url"], 5)
    assert http.post(f"{BASE}/server/test").json()["ok"] is True

    assert http.delete(f"{BASE}/data").status_code == 204
    assert http.delete(f"{BASE}/data").status_code == 404
    assert http.post(f"{BASE}/data/test").status_code == 404
    with connectors.store.engine.connect() as conn:
        actions = [(e.action, e.actor, e.target) for e in list_entries(conn)]
    assert actions == [
        ("reports.connector.delete", "admin1", "data"),
        ("reports.connector.save", "admin1", "data"),
        ("reports.connector.save", "admin1", "data"),
    ]


def test_password_never_comes_back(client):
    http, connectors, _ = client
    url = f"postgresql+psycopg://rep:{PASSWORD}@127.0.0.1:1/reg"
    assert http.put(f"{BASE}/pg", json={"title": "PG", "url": url}).status_code == 200
    listed = http.get(BASE)
    assert PASSWORD not in listed.text
    assert (
        next(c for c in listed.json() if c["id"] == "pg")["url"]
        == "postgresql+psycopg://rep:***@127.0.0.1:1/reg"
    )
    tested = http.post(f"{BASE}/pg/test").json()
    assert tested["ok"] is False and "connector 'pg'" in tested["detail"] and PASSWORD not in tested["detail"]
    with connectors.store.engine.connect() as conn:
        assert PASSWORD not in repr(list_entries(conn))


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("new", {"title": "No URL"}, "needs a title and a URL"),
        ("m", {"title": "Mongo", "url": "mongodb://u:p@h/db"}, "unsupported database 'mongodb'"),
        ("s", {"title": "Mem", "url": "sqlite://"}, "needs a database file"),
        ("server", {"title": "Mine", "url": "sqlite:////tmp/x.db"}, "cannot be changed"),
        ("x", {"title": "X", "url": "sqlite:////tmp/x.db", "extra": 1}, "extra"),
        ("x", {"title": "", "url": "sqlite:////tmp/x.db"}, "title"),
        ("x", {"title": "a\x00b", "url": "sqlite:////tmp/x.db"}, "pattern"),
        ("x", {"title": "X", "url": "sqlite:////tmp/" + "x" * 5000}, "url"),
        ("x", {"title": "X", "url": "sqlite:////tmp/x.db", "options": {"pool_size": 500}}, "pool_size"),
        ("x", {"title": "X", "url": "sqlite:////tmp/x.db", "options": {"bogus": 1}}, "bogus"),
        ("bad%20id", {"title": "X", "url": "sqlite:////tmp/x.db"}, "pattern"),
    ],
)
def test_bad_input_is_refused(client, path, body, needle):
    http, _, _ = client
    response = http.put(f"{BASE}/{path}", json=body)
    assert response.status_code == 422, response.text
    assert needle in response.text


def test_server_connector_cannot_be_deleted_and_a_missing_file_fails_its_test(client):
    http, _, tmp_path = client
    assert http.delete(f"{BASE}/server").status_code == 422
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    assert http.put(f"{BASE}/gone", json={"title": "Gone", "url": missing}).status_code == 200
    tested = http.post(f"{BASE}/gone/test").json()
    assert tested["ok"] is False and "unable to open database file" in tested["detail"]
    assert not (tmp_path / "missing.db").exists()

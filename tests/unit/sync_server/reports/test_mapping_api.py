"""Mapping-set admin routes over a real SQLite DB through FastAPI's test client."""

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sync_server.db.backend_schema import AUDIT_TABLES
from sync_server.reports import mapping_api
from sync_server.reports.mapping_api import build_mapping_router
from sync_server.reports.mappings import MappingSets
from sync_server.reports.tables import metadata

BASE = "/api/v1/admin/reports/mappings"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def client(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    metadata.create_all(engine)
    for table in AUDIT_TABLES:
        table.create(engine)
    service = MappingSets(engine)

    def admin(authorization: str = Header("")) -> str:
        if authorization != "Bearer admin-token":
            raise HTTPException(401, "admin token required")
        return "admin1"

    api = FastAPI()
    api.include_router(
        build_mapping_router(mappings=lambda: service, report_user=admin), prefix="/api/v1/admin"
    )
    return TestClient(api, headers={"Authorization": "Bearer admin-token"})


def test_sets_and_entries(client):
    assert client.get(BASE, headers={"Authorization": ""}).status_code == 401
    assert (
        client.put(f"{BASE}/regions", json={"title": "x"}, headers={"Authorization": ""}).status_code == 401
    )
    saved = client.put(
        f"{BASE}/regions", json={"title": "Regions", "on_missing": "fallback", "fallback": "?"}
    )
    assert (
        saved.status_code == 200 and saved.json()["entries"] == 0 and saved.json()["updated_by"] == "admin1"
    )
    for bad in ({"title": ""}, {"title": "x", "on_missing": "skip"}, {"title": "x", "extra": 1}):
        assert client.put(f"{BASE}/regions", json=bad).status_code == 422
    for bad_id in ("a%20b", "x" * 65, "a%00"):
        assert client.put(f"{BASE}/{bad_id}", json={"title": "x"}).status_code == 422
    assert client.get(f"{BASE}/nope").status_code == 404
    assert client.get(f"{BASE}/nope/entries").status_code == 404

    first = client.post(
        f"{BASE}/regions/entries", json={"key": "10001", "value": "R1", "effective_to": "2023-12-31"}
    )
    assert first.status_code == 201 and first.json()["effective_to"] == "2023-12-31"
    second = client.post(
        f"{BASE}/regions/entries", json={"key": "10001", "value": "R2", "effective_from": "2024-01-01"}
    )
    assert second.status_code == 201
    clash = client.post(f"{BASE}/regions/entries", json={"key": "10001", "value": "R3"})
    assert clash.status_code == 409 and "overlaps existing entry" in clash.json()["detail"]
    backwards = {"key": "k", "value": "v", "effective_from": "2024-02-01", "effective_to": "2024-01-01"}
    assert client.post(f"{BASE}/regions/entries", json=backwards).status_code == 422
    assert client.post(f"{BASE}/regions/entries", json={"key": "k" * 256, "value": "v"}).status_code == 422
    assert client.post(f"{BASE}/nope/entries", json={"key": "k", "value": "v"}).status_code == 404

    listed = client.get(f"{BASE}/regions/entries", params={"key": "10001"}).json()
    assert [e["value"] for e in listed] == ["R1", "R2"]
    assert client.get(f"{BASE}/regions/entries", params={"limit": 5000}).status_code == 422
    entry_id = first.json()["id"]
    changed = client.put(
        f"{BASE}/regions/entries/{entry_id}",
        json={"key": "10001", "value": "R1b", "effective_to": "2023-12-31"},
    )
    assert changed.status_code == 200 and changed.json()["value"] == "R1b"
    assert client.delete(f"{BASE}/other/entries/{entry_id}").status_code == 404
    assert client.delete(f"{BASE}/regions/entries/{entry_id}").status_code == 204
    assert client.delete(f"{BASE}/regions/entries/{entry_id}").status_code == 404
    assert client.delete(f"{BASE}/regions/entries/0").status_code == 422
    assert [(s["id"], s["entries"]) for s in client.get(BASE).json()] == [("regions", 1)]
    assert client.delete(f"{BASE}/regions").json() == {"deleted": "regions", "entries": 1}
    assert client.delete(f"{BASE}/regions").status_code == 404


def test_import_and_export(client, monkeypatch):
    client.put(f"{BASE}/regions", json={"title": "Regions"})
    bad = b"key,value,effective_from,effective_to\nA,1,,\nB,2,not-a-date,\n,3,,\nA,4,,\n"
    refused = client.post(f"{BASE}/regions/import", content=bad, headers=CSV)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail["error_count"] == 3 and [e["line"] for e in detail["errors"]] == [3, 4, 5]
    assert "nothing was imported" in detail["message"]
    assert client.get(f"{BASE}/regions").json()["entries"] == 0

    good = "key,value,effective_from,effective_to\r\nA,Région 1,,2023-12-31\r\nA,2,2024-01-01,\r\nB,3,,\r\n"
    done = client.post(f"{BASE}/regions/import", content=good.encode(), headers=CSV)
    assert done.status_code == 200 and done.json() == {"imported": 3, "deleted": 0}
    again = client.post(f"{BASE}/regions/import", content=good.encode(), headers=CSV)
    assert again.status_code == 422  # every row overlaps itself in the set
    replaced = client.post(
        f"{BASE}/regions/import", params={"replace": "true"}, content=good.encode(), headers=CSV
    )
    assert replaced.json() == {"imported": 3, "deleted": 3}

    exported = client.get(f"{BASE}/regions/export")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="regions.csv"'
    assert exported.content == good.encode()
    assert client.get(f"{BASE}/nope/export").status_code == 404

    assert client.post(f"{BASE}/regions/import", json={"a": 1}).status_code == 415
    assert client.post(f"{BASE}/nope/import", content=good.encode(), headers=CSV).status_code == 404
    monkeypatch.setattr(mapping_api, "MAX_IMPORT_BYTES", 20)
    assert client.post(f"{BASE}/regions/import", content=good.encode(), headers=CSV).status_code == 413
    assert client.get(f"{BASE}/regions").json()["entries"] == 3

"""``/health/live``, ``/health/ready`` (503 naming the failed check) and the old ``/health``."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sync_server.app import create_app
from sync_server.observability.readiness import check_readiness
from tests.unit.sync_server.observability.conftest import LOOPBACK


def test_live_and_ready_answer_200_on_a_healthy_server(loopback_client):
    assert loopback_client.get("/health/live").json() == {"status": "alive"}
    ready = loopback_client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "blob_store": "ok", "keys": "ok"},
        "failed": [],
    }


def test_the_old_health_route_still_answers(loopback_client):
    body = loopback_client.get("/health").json()
    assert body["signing_key"] and body["packet_recipients"]


def test_missing_keys_make_the_server_not_ready(state):
    (state.settings.data_dir / "keys" / "signing-key.ed25519").unlink()
    response = TestClient(create_app(state), client=LOOPBACK).get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["keys"]
    assert response.json()["checks"]["keys"] == "missing"


def test_a_missing_packet_folder_makes_the_server_not_ready(state):
    shutil.rmtree(state.settings.blob_dir)
    response = TestClient(create_app(state), client=LOOPBACK).get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "blob_store": "missing", "keys": "ok"},
        "failed": ["blob_store"],
    }


def test_too_little_disk_space_makes_the_server_not_ready(state):
    settings = state.settings
    result = check_readiness(
        engine=state.engine, blob_dir=settings.blob_dir, data_dir=settings.data_dir, min_free_bytes=1 << 62
    )
    assert result.failed == ["blob_store"]
    assert result.checks["blob_store"] == "low on disk space"


def test_an_unreachable_database_makes_the_server_not_ready(state, tmp_path):
    state.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'server.db'}")
    response = TestClient(create_app(state), client=LOOPBACK).get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == "unreachable"  # a fixed word; the error itself goes to the log

"""Request ids, the access log and the request metrics, through the real app."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sync_server.app import create_app
from sync_server.observability.http_observer import choose_request_id
from tests.unit.sync_server.observability.conftest import LOOPBACK

RID = "10001100010000120250101120000"  # 29 digits, RID-shaped


def _lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (b"abc-123", True),
        (b"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", True),
        (b"a:b.c_d", True),
        (b"x" * 64, True),
        (b"x" * 65, False),  # too long
        (b"", False),
        (b"has space", False),
        (b"semi;colon", False),
        (b"\xe9t\xe9", False),
        (None, False),
    ],
)
def test_a_request_id_is_kept_only_when_well_formed(given, kept):
    chosen = choose_request_id(given)
    if kept:
        assert chosen == given.decode()
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)


def test_the_request_id_is_echoed_or_made(loopback_client):
    given = loopback_client.get("/health/live", headers={"X-Request-ID": "kiosk-42.7"})
    assert given.headers["X-Request-ID"] == "kiosk-42.7"
    made = loopback_client.get("/health/live", headers={"X-Request-ID": "bad id; drop table"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    other = loopback_client.get("/health/live")
    assert other.headers["X-Request-ID"] != made.headers["X-Request-ID"]
    # error answers carry it too (404 from the router, 405, a validation error)
    for response in (
        loopback_client.get("/no/such/page"),
        loopback_client.post("/health/live"),
        loopback_client.post("/api/v1/auth/login", json={"username": 1}),
    ):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), response.status_code


def test_every_log_line_of_a_request_carries_its_id(shared_state, json_log):
    app = create_app(shared_state)

    @app.get("/test-only/log")
    def writes_a_log_line() -> dict:  # a sync route: it runs in the thread pool
        logging.getLogger("sync_server.test").warning("inside the route")
        return {}

    client = TestClient(app, client=LOOPBACK)
    assert client.get("/test-only/log", headers={"X-Request-ID": "req-7"}).status_code == 200
    client.get("/health/live", headers={"X-Request-ID": "req-8"})

    lines = _lines(json_log)
    inside = [line for line in lines if line["message"] == "inside the route"]
    assert [line["request_id"] for line in inside] == ["req-7"]
    access = [line for line in lines if line["logger"] == "openreg.access"]
    assert [(a["request_id"], a["route"], a["status"]) for a in access] == [
        ("req-7", "/test-only/log", 200),
        ("req-8", "/health/live", 200),
    ]
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id", "service"} <= set(line)
        assert line["service"] == "openreg-server"


def test_the_access_log_and_the_metrics_name_route_templates_never_raw_paths(loopback_client, json_log):
    assert loopback_client.get(f"/api/v1/admin/packets/{RID}").status_code == 401
    assert loopback_client.get(f"/api/v1/resident/nothing-here/{RID}?dob=1970-01-01").status_code == 404

    access = [line for line in _lines(json_log) if line["logger"] == "openreg.access"]
    assert [a["route"] for a in access] == ["/api/v1/admin/packets/{rid}", "<unmatched>"]
    assert all(RID not in json.dumps(a) and "1970" not in json.dumps(a) for a in access)

    text = loopback_client.get("/metrics").text
    assert RID not in text
    samples = {
        (s.labels.get("route"), s.labels.get("status"))
        for family in text_string_to_metric_families(text)
        if family.name == "openreg_http_requests"
        for s in family.samples
    }
    assert ("/api/v1/admin/packets/{rid}", "401") in samples
    assert ("<unmatched>", "404") in samples


def test_static_files_count_under_their_mount(loopback_client):
    assert loopback_client.get("/console/static/console.css").status_code == 200
    text = loopback_client.get("/metrics").text
    assert 'route="/console/static/{path}"' in text
    assert "console.css" not in text


def test_an_unhandled_error_is_answered_counted_and_logged_with_its_id(shared_state, json_log):
    app = create_app(shared_state)

    @app.get("/test-only/boom")
    def fails() -> dict:
        raise RuntimeError("boom")

    client = TestClient(app, client=LOOPBACK, raise_server_exceptions=False)
    response = client.get("/test-only/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-1"  # Starlette's last-resort answer has it too
    access = [line for line in _lines(json_log) if line["logger"] == "openreg.access"]
    assert [(a["request_id"], a["status"]) for a in access] == [("boom-1", 500)]
    assert 'route="/test-only/boom",status="500"' in client.get("/metrics").text

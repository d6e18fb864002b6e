"""What the long schemathesis run found (500s on PostgreSQL), pinned as plain requests on SQLite and
PostgreSQL: each must now be a 4xx with an ErrorBody, never a 5xx, and change nothing."""

from __future__ import annotations

import pytest
import requests

from tests.integration.sync_server.kiosk import API, Kiosk, admin_token

NUL = "\u0000"


@pytest.fixture
def tokens(server):
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    return {
        "machine": {"Authorization": f"Bearer {kiosk.login()}"},
        "admin": {"Authorization": f"Bearer {admin_token(server.url)}"},
        "none": {},
        "kiosk": kiosk,
    }


CASES = [
    # (who, method, path, json body)
    ("none", "POST", "/auth/login", {"username": f"admin{NUL}", "password": "x"}),
    ("none", "POST", "/auth/login", {"username": "ad\tmin", "password": "x"}),
    ("machine", "POST", "/packets/status", {"rids": [NUL]}),
    ("machine", "POST", "/packets/status", {"rids": ["x" * 5000]}),
    ("none", "POST", "/auth/machine-token", {"machine_id": "10001", "challenge": NUL, "signature": "AA=="}),
    ("admin", "GET", "/admin/reports/runs/4611686018427387903/artifacts/csv", None),
    ("admin", "GET", "/admin/reports/runs/2147483648/artifacts/csv", None),
    ("admin", "GET", "/admin/reports/runs/1/artifacts/%C3%B0%09%C3%90", None),
    ("admin", "GET", "/admin/reports/runs/1/artifacts/%F3%84%81%9FF", None),
    ("admin", "GET", "/admin/reports/a%00b/runs", None),
    ("admin", "POST", "/admin/reports/a%00b/run", None),
    ("admin", "GET", "/admin/identities/by-uin/a%00b?purpose=audit", None),
    ("admin", "GET", "/admin/identities/by-rid/a%00b?purpose=audit", None),
    ("admin", "GET", "/admin/identities/by-uin/1234567890?purpose=au%00dit", None),
    ("admin", "POST", "/admin/machines/a%00b/approve", None),
    ("admin", "POST", "/admin/machines/a%00b/reject", None),
]


def test_fuzzer_findings_are_client_errors(server, tokens):
    # One server per database for all cases: a server start costs more than the requests.
    wrong = []
    for who, method, path, body in CASES:
        response = requests.request(
            method, f"{server.url}{API}{path}", json=body, headers=tokens[who], timeout=30
        )
        code = (
            response.json().get("code")
            if response.headers.get("content-type") == "application/json"
            else None
        )
        if not 400 <= response.status_code < 500 or code not in (
            "validation_error",
            "not_found",
            "bad_credentials",
        ):
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_enrol_with_control_characters_changes_nothing(server, tokens):
    kiosk = Kiosk(server.url, name=f"kiosk{NUL}")
    response = kiosk.http.post(
        f"{server.url}{API}/machines/enrol",
        json={"public_key": "A" * 43 + "=", "center_id": "10001", "name": f"kiosk{NUL}"},
        timeout=30,
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    listed = requests.get(f"{server.url}{API}/admin/machines", headers=tokens["admin"], timeout=30).json()
    assert [m["name"] for m in listed] == ["test kiosk"]  # only the fixture's own kiosk

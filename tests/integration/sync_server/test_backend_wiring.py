"""The server process runs the processing backend: admin report and identity routes answer over HTTP."""

import requests

from shared.sync import API_PREFIX
from tests.integration.sync_server.kiosk import admin_token


def test_admin_backend_routes_are_served_by_the_server_process(sync_server):
    headers = {"Authorization": f"Bearer {admin_token(sync_server.url)}"}
    reports = requests.get(f"{sync_server.url}{API_PREFIX}/admin/reports", headers=headers, timeout=10)
    assert reports.status_code == 200, reports.text
    names = {r["id"] for r in reports.json()}
    assert names, "built-in report definitions are installed when the backend starts"
    run = requests.post(
        f"{sync_server.url}{API_PREFIX}/admin/reports/{sorted(names)[0]}/run", headers=headers, timeout=30
    )
    assert run.status_code == 202, run.text
    missing = requests.get(
        f"{sync_server.url}{API_PREFIX}/admin/identities/by-uin/1234567890",
        params={"purpose": "wiring test"},
        headers=headers,
        timeout=10,
    )
    assert missing.status_code == 404


def test_backend_routes_need_the_admin_role(sync_server):
    response = requests.get(f"{sync_server.url}{API_PREFIX}/admin/reports", timeout=10)
    assert response.status_code == 401

"""The kiosk sync-lag report over a real server: a machine that catches up with master data (a changes
page with complete=true) and uploads a packet shows both times; one that never synced shows none; a revoked
one is not listed even though it uploaded."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest
import requests

from tests.integration.sync_server.kiosk import API, Kiosk, admin_token, random_packet

# The server writes a machine's last master-data sync at most once per this interval. Set explicitly (and
# far longer than the test runs) so the "polling again does not rewrite the row" check does not depend
# on how fast two requests follow each other.
MARK_INTERVAL_S = 3600


@pytest.fixture
def server(start_sync_server, tmp_path, db_url):
    """A demo server on the parametrised database with a known master-data sync write throttle."""
    return start_sync_server(
        tmp_path / "server",
        db_url=db_url,
        env={"OPENREG_SERVER_MASTERDATA_SYNC_MARK_INTERVAL_S": str(MARK_INTERVAL_S)},
    )


def _changes(kiosk: Kiosk, since: int, limit: int) -> dict:
    response = kiosk.http.get(
        f"{kiosk.url}{API}/masterdata/changes", params={"since": since, "limit": limit}, headers=kiosk.auth
    )
    response.raise_for_status()
    return response.json()["payload"]


def _machines(url: str, admin: dict) -> dict[str, dict]:
    response = requests.get(f"{url}{API}/admin/machines", headers=admin)
    response.raise_for_status()
    return {m["machine_id"]: m for m in response.json()}


def _run_report(url: str, admin: dict, definition: str) -> dict:
    before = {
        r["id"] for r in requests.get(f"{url}{API}/admin/reports/{definition}/runs", headers=admin).json()
    }
    assert requests.post(f"{url}{API}/admin/reports/{definition}/run", headers=admin).status_code == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = requests.get(f"{url}{API}/admin/reports/{definition}/runs", headers=admin).json()
        fresh = [r for r in runs if r["id"] not in before and r["status"] != "running"]
        if fresh:
            assert fresh[0]["status"] == "succeeded", fresh[0]
            response = requests.get(
                f"{url}{API}/admin/reports/runs/{fresh[0]['id']}/artifacts/json", headers=admin
            )
            response.raise_for_status()
            return response.json()
        time.sleep(0.1)
    raise AssertionError(f"report {definition} did not finish")


def test_sync_lag_report_shows_last_masterdata_sync_and_upload_per_machine(server):
    """On SQLite and on PostgreSQL (the ``server`` fixture is parametrised over both)."""
    url = server.url
    admin = {"Authorization": f"Bearer {admin_token(url)}"}
    synced, idle, revoked = Kiosk(url, name="synced"), Kiosk(url, name="idle"), Kiosk(url, name="revoked")
    for kiosk in (synced, idle, revoked):
        kiosk.enrol()
        kiosk.login()

    first = _changes(synced, 0, 1)
    assert first["complete"] is False
    assert _machines(url, admin)[synced.machine_id]["last_masterdata_sync_at"] is None  # not caught up yet
    started = dt.datetime.now(dt.UTC)
    page = first
    while not page["complete"]:
        page = _changes(synced, page["next_cursor"], 100_000)
    recorded = _machines(url, admin)[synced.machine_id]["last_masterdata_sync_at"]
    assert recorded is not None and dt.datetime.fromisoformat(recorded) >= started - dt.timedelta(seconds=1)
    _changes(synced, page["next_cursor"], 100)  # polling again within the interval does not rewrite the row
    assert _machines(url, admin)[synced.machine_id]["last_masterdata_sync_at"] == recorded

    data = random_packet(4096)
    rid = synced.new_rid()
    assert synced.register(rid, data).status_code in (200, 201)
    synced.upload(rid, data)
    gone = revoked.new_rid()
    assert revoked.register(gone, data).status_code in (200, 201)
    revoked.upload(gone, data)
    revoke = requests.post(f"{url}{API}/admin/machines/{revoked.machine_id}/reject", headers=admin)
    assert revoke.status_code == 200 and revoke.json()["status"] == "revoked", revoke.text

    report = _run_report(url, admin, "sync-lag")
    assert report["columns"] == [
        "machine_id",
        "last_masterdata_sync",
        "sync_lag_h",
        "last_upload",
        "upload_lag_h",
    ]
    rows = {row[0]: row for row in report["rows"]}
    _, last_sync, sync_lag, last_upload, upload_lag = rows[synced.machine_id]
    assert dt.datetime.fromisoformat(last_sync) == dt.datetime.fromisoformat(recorded)
    assert dt.datetime.fromisoformat(last_upload) >= dt.datetime.fromisoformat(last_sync)
    assert 0 <= sync_lag < 0.1 and 0 <= upload_lag < 0.1
    assert rows[idle.machine_id] == [idle.machine_id, "", "", "", ""]  # enrolled, never synced or uploaded
    assert revoked.machine_id not in rows  # its upload does not bring it back as "never synced"

    listed = subprocess.run(
        [sys.executable, "-m", "shared", "admin", "machines", "list", "--data", str(server.data_dir)]
        + (["--db", server.db_url] if server.db_url else []),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    synced_at = dt.datetime.fromisoformat(recorded).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"last master-data sync {synced_at}" in lines[synced.machine_id], listed.stdout
    assert "last master-data sync never" in lines[idle.machine_id]

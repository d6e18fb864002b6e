"""Operability under faults, against the real server process: a full disk answers 507 ``disk_full``
and changes nothing, start-up refuses an unusable data dir in one sentence, SIGTERM stops cleanly,
and every response carries the security headers (tokens also ``Cache-Control: no-store``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.sync_server.kiosk import API, Kiosk, random_packet

MiB = 1024 * 1024


@pytest.fixture
def tiny_packet_disk(tmp_path: Path):
    """DATA/packets on its own 2 MiB tmpfs, so chunk writes really hit ENOSPC (we are root in CI)."""
    data = tmp_path / "server"
    packets = data / "packets"
    packets.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(packets)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(packets)], capture_output=True)


def test_disk_full_during_a_chunk_write_is_507_and_keeps_the_offset(start_sync_server, tiny_packet_disk):
    server = start_sync_server(tiny_packet_disk, env={"OPENREG_SERVER_MIN_FREE_DISK_MB": "1"})
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data = random_packet(3 * MiB)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    assert kiosk.patch(rid, 0, data[:MiB]).status_code == 204

    full = kiosk.patch(rid, MiB, data[MiB:])

    assert full.status_code == 507, full.text
    assert full.json()["code"] == "disk_full"
    assert "disk" in full.json()["detail"]
    # nothing half-written: the offset the kiosk resumes from is the one before the failed chunk
    assert int(kiosk.offset(rid).headers["Upload-Offset"]) == MiB
    assert kiosk.status(rid)[rid]["status"] in ("registered", "receiving")
    assert "Traceback" not in server.log_tail()


def _server_command(data: Path) -> list[str]:
    return [sys.executable, "-m", "shared", "server", "--data", str(data), "--port", "0", "--demo"]


def test_start_refuses_a_data_dir_that_is_a_file(tmp_path):
    data = tmp_path / "not-a-dir"
    data.write_text("x")
    run = subprocess.run(_server_command(data), capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    assert f"data dir {data} is not a writable directory" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_start_refuses_a_data_dir_without_enough_free_space(tmp_path):
    data = tmp_path / "server"
    env = {**os.environ, "OPENREG_SERVER_MIN_FREE_DISK_MB": str(1 << 40)}  # a million terabytes
    run = subprocess.run(_server_command(data), capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    assert "MiB free; the server needs at least" in run.stderr
    assert not (data / "server.db").exists()  # refused before touching the database


def test_sigterm_stops_workers_and_scheduler_and_removes_server_json(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", workers=2)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200

    server.process.terminate()  # SIGTERM, as systemd or docker stop sends it
    code = server.process.wait(timeout=30)

    assert code == 0, server.log_tail()
    assert not (server.data_dir / "server.json").exists()
    assert "Traceback" not in server.log_tail()


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_secure(response: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name, dict(response.headers))
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, csp
    assert "strict-transport-security" not in response.headers  # plain http: HSTS would be wrong


def test_security_headers_on_every_kind_of_response(sync_server):
    url = sync_server.url
    kiosk = Kiosk(url)
    kiosk.enrol()
    answers = [
        requests.get(f"{url}/health", timeout=10),  # 200 JSON
        requests.get(f"{url}/no/such/page", timeout=10),  # 404
        requests.post(f"{url}{API}/auth/login", json={"username": 1}, timeout=10),  # 422
        requests.post(f"{url}{API}/auth/login", data=b"x" * (65 * MiB), timeout=30),  # 413 (BodyLimit)
        requests.get(f"{url}{API}/packets/x/content", timeout=10),  # 401 / 405
        requests.get(f"{url}/openapi.json", timeout=10),
    ]
    for response in answers:
        _assert_secure(response)
    api_csp = answers[0].headers["content-security-policy"]
    assert "default-src 'none'" in api_csp


def test_token_responses_are_not_cached(sync_server):
    kiosk = Kiosk(sync_server.url)
    kiosk.enrol()
    machine = kiosk.token_response(kiosk.challenge())
    user = requests.post(
        f"{sync_server.url}{API}/auth/login", json={"username": "admin", "password": "admin-demo"}, timeout=10
    )
    for response in (machine, user):
        assert response.status_code == 200 and response.json()["token"]
        assert response.headers["cache-control"] == "no-store"
        _assert_secure(response)

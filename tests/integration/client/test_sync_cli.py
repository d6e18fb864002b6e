"""``openreg client sync`` as a subprocess against a real server: it honours OPENREG_CLIENT_SERVER_URL
(a moved server), and offline it says so in one line on stderr with a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import demo.headless as demo
from client.core.bootstrap import build_client
from tests.integration.client.kiosk_child import settings


def _enrol(tmp_path: Path, server_url: str) -> tuple[Path, Path]:
    data, keyring = tmp_path / "kiosk-data", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, server_url))
    try:
        app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    finally:
        app.close()
    return data, keyring


def _cli_sync(data: Path, keyring: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENREG_CLIENT_")}
    cmd = [
        sys.executable,
        "-m",
        "shared",
        "client",
        "sync",
        "--data",
        str(data),
        "--keyring-file",
        str(keyring),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env={**clean, **env}, timeout=120, check=False)


def test_sync_follows_the_server_url_from_the_environment(tmp_path, start_sync_server):
    server = start_sync_server(tmp_path / "server")
    data, keyring = _enrol(tmp_path, server.url)
    enrolled_at = server.url
    server.restart()  # same server, new port: the address the kiosk stored at enrolment is dead now
    assert server.url != enrolled_at

    done = _cli_sync(data, keyring, OPENREG_CLIENT_SERVER_URL=server.url)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "master data:" in done.stdout


def test_sync_offline_prints_one_line_and_fails(tmp_path, start_sync_server):
    server = start_sync_server(tmp_path / "server")
    data, keyring = _enrol(tmp_path, server.url)
    server.kill()

    done = _cli_sync(data, keyring)

    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "not reachable" in lines[0] and server.url in lines[0]
    assert len(lines[0]) < 300

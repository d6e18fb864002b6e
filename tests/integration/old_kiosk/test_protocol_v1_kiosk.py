"""A kiosk released for protocol version 1, its code frozen in tests/fixtures (never edited), enrols,
syncs master data, uploads packets and reads their outcomes from today's server: kiosks in the field
run old builds for months, and the server must keep serving them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FROZEN = ROOT / "tests" / "fixtures" / "kiosk_protocol_v1.tar.gz"
CHILD = Path(__file__).with_name("old_kiosk_child.py")


def test_a_protocol_1_kiosk_enrols_syncs_uploads_and_gets_uins(tmp_path, start_sync_server):
    old = tmp_path / "kiosk_v1"
    with tarfile.open(FROZEN) as archive:
        archive.extractall(old, filter="data")
    server = start_sync_server(tmp_path / "server", workers=1)
    run = subprocess.run(
        [sys.executable, str(CHILD), server.url, str(tmp_path / "kiosk"), "2"],
        env={**os.environ, "PYTHONPATH": str(old)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["code"] == str((old / "client").resolve())  # the frozen code ran, not today's
    assert result["synced_rows"] > 0 and result["upload_ok"]
    outcomes = result["outcomes"]
    assert len(outcomes) == 2
    assert all(o["status"] == "uploaded" and o["server_status"] == "processed" and o["uin"] for o in outcomes)

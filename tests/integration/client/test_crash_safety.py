"""SIGKILL the kiosk at random points while it seals packets: no receipted packet is lost, nothing half-made
survives, and the store stays consistent after restart (recovery runs in build_client)."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from client.core.audit import verify_audit_chain
from client.core.bootstrap import build_client
from tests.integration.client.kiosk_child import settings
from tests.integration.client.kiosk_setup import prepare_offline_kiosk

ROOT = Path(__file__).resolve().parents[3]
pytest.importorskip("shared.packet", reason="shared.packet (issue 2) is not in this tree yet")


def run_child_until_killed(args: list[str], *, kill_after: float) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.client.kiosk_child", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = child.stdout.readline()
    assert ready.strip() == "READY", ready + child.stderr.read()
    time.sleep(kill_after)
    os.kill(child.pid, signal.SIGKILL)
    out, _ = child.communicate(timeout=10)
    lines.extend(out.splitlines())
    return lines


def test_sigkill_during_packet_creation_loses_no_sealed_packet(tmp_path):
    data, keyring = tmp_path / "kiosk", tmp_path / "kr.cfg"
    prepare_offline_kiosk(data, keyring)
    rng = random.Random(int(os.environ.get("CRASH_SEED", "4")))
    receipted: dict[str, str] = {}
    for _ in range(5):
        for line in run_child_until_killed(
            ["register", str(data), str(keyring)], kill_after=rng.uniform(0.2, 2.5)
        ):
            if line.startswith("SEALED "):
                _, rid, sha = line.split()
                receipted[rid] = sha
        app = build_client(settings(data, keyring))  # restart: recovery settles interrupted work
        try:
            with app.store.transaction() as conn:
                rows = {
                    r.rid: r
                    for r in conn.execute(text("SELECT rid, status, packet_path, sha256 FROM registrations"))
                }
                assert verify_audit_chain(conn).ok
            assert not [r for r in rows.values() if r.status == "sealing"]
            for rid, sha in receipted.items():  # every receipt handed out has its whole packet
                row = rows[rid]
                assert row.status == "pending_approval" and row.sha256 == sha
                assert hashlib.sha256(Path(row.packet_path).read_bytes()).hexdigest() == sha
            for row in rows.values():
                if row.status == "pending_approval":
                    assert hashlib.sha256(Path(row.packet_path).read_bytes()).hexdigest() == row.sha256
            packets = data / "packets"  # absent if the kill came before the first packet
            on_disk = (
                {p for p in packets.iterdir() if not p.name.startswith(".")} if packets.exists() else set()
            )
            assert on_disk == {Path(r.packet_path) for r in rows.values() if r.status == "pending_approval"}
        finally:
            app.close()
    assert len(receipted) >= 1

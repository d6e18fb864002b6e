"""A real kiosk and server through the command line with ``--json``: export to a stick, import at the
office, the acknowledgement back, then a network sync; every command prints one JSON document with
its keys and nothing else on stdout. On a pseudo-terminal the sync draws its upload bar (bytes, ETA)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import demo.headless as demo
from client.core.bootstrap import build_client
from tests.integration.client.kiosk_child import settings
from tests.support.terminal import run_on_a_terminal

ROOT = Path(__file__).resolve().parents[3]
SUPERVISOR_ENV = {"OPENREG_CLIENT_SUPERVISOR_PASSWORD": demo.SUPERVISOR_PASSWORD}
pytestmark = pytest.mark.slow  # a server, a kiosk, registrations and a dozen child processes


def openreg(*args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "shared", *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "", done.stderr  # no progress into a pipe
    return json.loads(done.stdout)


def register(data: Path, keyring: Path, url: str, count: int) -> list[str]:
    app = build_client(settings(data, keyring, url))
    try:
        app.master_data_sync().sync()
        rids = demo.register_people(app, count=count, echo=lambda _m: None)
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in rids:
            app.end_of_day.approve(session=supervisor, rid=rid)
        return rids
    finally:
        app.close()


def test_stick_and_network_round_trips_as_json(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    data, keyring = tmp_path / "kiosk", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, server.url))
    app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    app.close()
    kiosk = ["--data", str(data), "--keyring-file", str(keyring)]
    stick = tmp_path / "stick"
    stick.mkdir()

    by_stick = register(data, keyring, server.url, 2)
    exported = openreg(
        "client", "export", "--to", str(stick), "--supervisor", demo.SUPERVISOR, *kiosk, env=SUPERVISOR_ENV
    )
    assert sorted(exported["exported"]) == sorted(by_stick) and exported["kept"] == []
    assert set(exported) == {
        "folder",
        "export_id",
        "exported",
        "kept",
        "quarantined",
        "rejections",
        "awaiting",
        "bytes",
    }
    office = openreg("admin", "packets", "import", str(stick), "--data", str(server.data_dir))
    assert office["ok"] is True and len(office["kiosks"]) == 1
    folder = office["kiosks"][0]
    assert folder["counts"]["received"] == 2 and folder["acknowledgement"]["written"] is True
    assert sorted(p["rid"] for p in folder["packets"]) == sorted(by_stick)
    ack = openreg("client", "import-ack", str(stick), *kiosk)
    assert ack["export_id"] == exported["export_id"] and ack["created_at"].endswith("Z")
    assert sorted(ack["delivered"]) == sorted(by_stick)
    assert set(ack["master_data"]) == {"rows", "skipped", "cursor", "entities", "not_applied"}

    by_network = register(data, keyring, server.url, 2)
    status, out, terminal = run_on_a_terminal([sys.executable, "-m", "shared", "client", "sync", *kiosk])
    assert status == 0, out + terminal
    assert all(f"uploaded {rid}" in out for rid in by_network)
    assert "upload" in terminal and "%" in terminal and "/2 packets" in terminal  # the bar, on stderr

    last = register(data, keyring, server.url, 1)
    synced = openreg("client", "sync", *kiosk)
    assert synced["ok"] is True and synced["uploaded"] == last and synced["failed"] == {}
    assert synced["update"]["status"] and {s["rid"] for s in synced["statuses"]} >= set(last)
    state = openreg("client", "status", *kiosk)
    assert state["status"] == "approved" and state["center_id"] == demo.CENTER_ID
    assert isinstance(state["masterdata_cursor"], int) and sum(state["registrations"].values()) == 5

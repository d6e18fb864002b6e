"""Issue 21, done-when: two kiosks and one real server, kiosk B never syncs (after enrolment everything
travels by stick): master data by stick, register, export (SIGKILLed mid-write, then repaired), a
truncated file on the stick, import at the office (SIGKILLed mid-import, then imported again: nothing
duplicated), acknowledgement back with UINs and a master-data change. Kiosk A uploads by network and
also exports: the same packet by both paths changes nothing. Tampered and foreign acknowledgements are
refused with a clear message."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import demo.headless as demo
from client.core.bootstrap import build_client
from shared.media.files import hash_file
from shared.media.layout import kiosk_folder
from shared.media.models import ACK_NAME, MANIFEST_NAME
from tests.integration.client.kiosk_child import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a server with a processing worker, two kiosks, seven child processes


@pytest.fixture
def server(start_sync_server, tmp_path):
    return start_sync_server(tmp_path / "server", workers=1)


def enrol(tmp_path: Path, server, name: str):
    data, keyring = tmp_path / name, tmp_path / f"{name}.kr"
    app = build_client(settings(data, keyring, server.url))
    app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    app.close()
    return data, keyring


def cli(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "shared", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def killed_after(args: list[str], *, lines: int, env: dict | None = None) -> list[str]:
    """Run ``openreg ARGS`` and SIGKILL it once it has written ``lines`` progress lines (stderr; a line
    per packet with OPENREG_PROGRESS=lines, as stderr is not a terminal here)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "shared", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENREG_PROGRESS": "lines", **(env or {})},
    )
    seen = []
    while len(seen) < lines:
        line = child.stderr.readline()
        if not line:
            break
        seen.append(line)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    return seen


def kiosk_rows(data: Path, keyring: Path) -> dict[str, tuple]:
    app = build_client(settings(data, keyring))
    try:
        with app.store.transaction() as conn:
            rows = conn.execute(text("SELECT rid, status, server_status, uin FROM registrations"))
            return {r.rid: (r.status, r.server_status, r.uin) for r in rows}
    finally:
        app.close()


def approve_all(app, rids: list[str]) -> None:
    supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
    for rid in rids:
        app.end_of_day.approve(session=supervisor, rid=rid)


def server_packets(server) -> list[tuple]:
    with sqlite3.connect(server.data_dir / "server.db") as db:
        return db.execute("SELECT rid, machine_id, status, uin FROM packets ORDER BY rid").fetchall()


def test_a_kiosk_without_network_delivers_by_stick(tmp_path, server):
    stick = tmp_path / "stick"
    stick.mkdir()
    a_data, a_kr = enrol(tmp_path, server, "kiosk-a")
    b_data, b_kr = enrol(tmp_path, server, "kiosk-b")
    sup = {"OPENREG_CLIENT_SUPERVISOR_PASSWORD": demo.SUPERVISOR_PASSWORD}
    kiosk_args = {
        name: ["--data", str(data), "--keyring-file", str(kr)]
        for name, data, kr in (("a", a_data, a_kr), ("b", b_data, b_kr))
    }
    import_args = ["admin", "packets", "import", str(stick), "--data", str(server.data_dir)]

    # Kiosk A works online: master data by network, one registration exported to the stick (the
    # network was down at the time) and then uploaded by network all the same when it came back.
    app_a = build_client(settings(a_data, a_kr, server.url))
    try:
        app_a.master_data_sync().sync()
        # the demo's sample people are numbered: A's fifth is nobody kiosk B registers (no duplicate)
        rid_a = demo.register_people(app_a, count=5, echo=lambda _m: None)[-1]
        approve_all(app_a, [rid_a])
    finally:
        app_a.close()
    cli("client", "export", "--to", str(stick), "--supervisor", demo.SUPERVISOR, *kiosk_args["a"], env=sup)
    app_a = build_client(settings(a_data, a_kr, server.url))
    try:
        assert app_a.upload_agent().upload_approved().uploaded == [rid_a]
    finally:
        app_a.close()

    # Kiosk B has no master data: an empty export asks for it; the office answers with a snapshot.
    # (no users to sign in yet, so no supervisor: such an export carries no packet, only the request)
    cli("client", "export", "--to", str(stick), *kiosk_args["b"])
    first = cli(*import_args)
    assert "kiosk" in first.stdout
    assert "1 already here" in first.stdout  # kiosk A's packet came by network already
    answer = cli("client", "import-ack", str(stick), *kiosk_args["b"])
    assert "master data:" in answer.stdout and "rows applied" in answer.stdout

    # B registers offline and exports; the export is killed mid-write, then repaired.
    app_b = build_client(settings(b_data, b_kr))
    try:
        assert app_b.master_data.rows("users"), "the snapshot came by stick"
        rids = demo.register_people(app_b, count=4, echo=lambda _m: None)
        approve_all(app_b, rids)
    finally:
        app_b.close()
    export_b = ["client", "export", "--to", str(stick), "--supervisor", demo.SUPERVISOR, *kiosk_args["b"]]
    folder_b = kiosk_folder(stick, b_data_machine_id(b_data, b_kr))
    killed_after(export_b, lines=2, env=sup)  # killed after the first packet, in the second
    manifest = folder_b / MANIFEST_NAME
    if not manifest.exists():  # clearly unfinished (unless the kill came after the last write)
        listed = cli(*import_args, check=False)
        assert "not finished" in listed.stdout and listed.returncode == 1
    cli(*export_b, env=sup)
    assert manifest.is_file()
    assert not list((folder_b / "packets").glob(".*.part"))
    on_stick = sorted(p.name.removesuffix(".age") for p in (folder_b / "packets").glob("*.age"))
    assert on_stick == sorted(rids)

    # A file is cut short on the stick (pulled out during a copy elsewhere, say).
    truncated = folder_b / "packets" / f"{rids[3]}.age"
    with open(truncated, "r+b") as handle:
        handle.truncate(truncated.stat().st_size // 2)

    # The office import is killed mid-way, then run again: every good packet once, the cut one refused.
    killed_after(import_args, lines=2)
    again = cli(*import_args, check=False)
    assert again.returncode == 1 and f"refused {rids[3]}" in again.stdout and "truncated" in again.stdout
    cli(*import_args, check=False)  # a third time: still nothing new
    held = [r for r in server_packets(server) if r[0] in rids]
    assert sorted(r[0] for r in held) == sorted(rids[:3]), held
    blobs = sorted(p.name for p in (server.data_dir / "packets").glob("*.age"))
    assert len(blobs) == len(set(blobs)) and all(f"{rid}.age" in blobs for rid in rids[:3])

    # Back at the kiosk: three received, the cut one stays and goes again with the next export.
    cli("client", "import-ack", str(stick), *kiosk_args["b"])
    rows = kiosk_rows(b_data, b_kr)
    assert [rows[r][0] for r in rids] == ["uploaded"] * 3 + ["approved"]
    cli(*export_b, env=sup)
    sealed = json.loads(manifest.read_text())["payload"]["packets"]
    assert [p["rid"] for p in sealed] == [rids[3]]  # only what the server has not acknowledged
    assert hash_file(truncated, 1 << 30) == (sealed[0]["sha256"], sealed[0]["size"])  # repaired

    # A master-data change at the office travels with the next acknowledgement; wait for the UINs.
    change = tmp_path / "config.json"
    change.write_text(
        json.dumps(
            {"format": "openreg-masterdata/1", "entities": {"config": [{"id": "usb.test", "value": 42}]}}
        )
    )
    cli("admin", "masterdata", "import", str(change), "--data", str(server.data_dir))
    cli(*import_args, "--wait", "120")
    shown = cli("client", "import-ack", str(stick), *kiosk_args["b"]).stdout
    rows = kiosk_rows(b_data, b_kr)
    for rid in rids:
        status, server_status, uin = rows[rid]
        assert status == "uploaded" and server_status in ("processed", "rejected"), rows[rid]
        assert bool(uin) == (server_status == "processed")
    assert any(rows[r][2] for r in rids), "UINs came back by stick"
    if rows[rids[3]][2]:  # the kiosk shows what this acknowledgement brought
        assert rows[rids[3]][2] in shown
    app_b = build_client(settings(b_data, b_kr))
    try:
        assert app_b.master_data.config("usb.test") == 42
    finally:
        app_b.close()
    # the same acknowledgement again changes nothing
    cli("client", "import-ack", str(stick), *kiosk_args["b"])
    assert kiosk_rows(b_data, b_kr) == rows

    # Refused: an acknowledgement altered on the way, and one made for kiosk A.
    ack_b = folder_b / ACK_NAME
    good = ack_b.read_bytes()
    ack_b.write_bytes(good[:-40] + bytes(b ^ 1 for b in good[-40:]))
    bad = cli("client", "import-ack", str(stick), *kiosk_args["b"], check=False)
    assert bad.returncode == 77 and "refused" in bad.stderr and "altered" in bad.stderr  # EX_NOPERM
    folder_a = kiosk_folder(stick, b_data_machine_id(a_data, a_kr))
    ack_b.write_bytes((folder_a / ACK_NAME).read_bytes())
    foreign = cli("client", "import-ack", str(stick), *kiosk_args["b"], check=False)
    assert foreign.returncode == 77 and "another kiosk" in foreign.stderr
    assert kiosk_rows(b_data, b_kr) == rows


def b_data_machine_id(data: Path, keyring: Path) -> str:
    app = build_client(settings(data, keyring))
    try:
        return app.machine.identity().machine_id
    finally:
        app.close()

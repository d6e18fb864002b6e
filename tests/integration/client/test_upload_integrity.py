"""Upload integrity with the real kiosk (SQLCipher store, real sealed packets) against a real server
process: damaged sealed files are quarantined after a bounded number of requests while the healthy
packets behind them go up; a server killed between the last chunk and publish still ends with the
packet received and processed, and the kiosk says uploaded only once the server says received."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

import demo.headless as demo
from client.core.bootstrap import build_client
from client.core.sync.upload import UploadAgent
from tests.integration.client.kiosk_child import settings
from tests.integration.sync_server.kiosk import admin_token

REQUEST_CEILING = 200  # the old agent looped for ever on a damaged file; stop it well before that


class CountingTransport:
    """The real HTTP transport, with every packet call counted per RID (and a ceiling, so a loop fails
    the test instead of hanging it)."""

    def __init__(self, real: Any) -> None:
        self._real, self.calls, self._lock = real, Counter(), threading.Lock()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._real, name)

        def counted(**kwargs: Any) -> Any:
            with self._lock:
                for rid in kwargs.get("rids") or [kwargs.get("rid")]:
                    self.calls[rid] += 1
                if sum(self.calls.values()) > REQUEST_CEILING:
                    raise AssertionError(f"more than {REQUEST_CEILING} packet requests: {self.calls}")
            return target(**kwargs)

        return counted


def enrolled_kiosk(tmp_path: Path, server, name: str = "kiosk"):
    data, keyring = tmp_path / name, tmp_path / f"{name}.kr"
    app = build_client(settings(data, keyring, server.url))
    app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    app.close()
    app = build_client(settings(data, keyring, server.url))
    app.master_data_sync().sync()
    return app, data, keyring


def register_and_approve(app, count: int) -> list[str]:
    rids = demo.register_people(app, count=count, echo=lambda _m: None)
    supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
    for rid in rids:
        app.end_of_day.approve(session=supervisor, rid=rid)
    return rids


def local(app) -> dict[str, dict]:
    with app.store.transaction() as conn:
        rows = conn.execute(
            text("SELECT rid, status, server_status, last_error, packet_path FROM registrations")
        )
        return {r.rid: dict(r._mapping) for r in rows}


def agent(app, transport) -> UploadAgent:
    return UploadAgent(store=app.store, transport=transport, settings=app.settings)


def test_damaged_sealed_files_are_quarantined_and_the_healthy_ones_still_go_up(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    app, _, _ = enrolled_kiosk(tmp_path, server)
    try:
        flipped, truncated, deleted, healthy = rids = register_and_approve(app, 4)
        paths = {rid: Path(row["packet_path"]) for rid, row in local(app).items()}
        data = bytearray(paths[flipped].read_bytes())
        data[len(data) // 2] ^= 0x10  # one bit
        paths[flipped].write_bytes(bytes(data))
        paths[truncated].write_bytes(paths[truncated].read_bytes()[:-1000])
        paths[deleted].unlink()

        transport = CountingTransport(app.server())
        report = agent(app, transport).upload_approved()
        assert report.uploaded == [healthy] and not report.failed
        assert set(report.quarantined) == {flipped, truncated, deleted}
        rows = local(app)
        assert rows[healthy]["status"] == "uploaded"
        for rid, problem in ((flipped, "hash_mismatch"), (truncated, "truncated"), (deleted, "missing")):
            assert rows[rid]["status"] == "quarantined" and rows[rid]["last_error"].startswith(problem)
            assert rows[rid]["server_status"] == "damaged"  # the server was told
            assert transport.calls[rid] == 1  # one report; not a single upload attempt
        assert transport.calls[healthy] <= 3 + rows_chunks(paths[healthy])

        # Head office sees them, with the kiosk's finding as the reason code.
        admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
        listed = requests.get(
            f"{server.url}/api/v1/admin/packets", params={"status": "damaged"}, headers=admin, timeout=10
        ).json()
        assert {p["rid"]: p["reason_code"] for p in listed} == {
            flipped: "kiosk_hash_mismatch",
            truncated: "kiosk_truncated",
            deleted: "kiosk_missing",
        }
        with app.store.transaction() as conn:
            audited = conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'packet.quarantined'")
            ).scalar_one()
        assert audited == 3
        # The sync centre lists them, and the next round leaves them alone.
        queued = {r["rid"]: r["status"] for r in app.registrations.sync_queue()}
        assert {queued[r] for r in (flipped, truncated, deleted)} == {"quarantined"}
        assert app.registrations.counts()["quarantined"] == 3
        again = CountingTransport(app.server())
        assert agent(app, again).upload_approved().ok
        assert not any(again.calls[r] for r in rids)
    finally:
        app.close()


def rows_chunks(path: Path) -> int:
    size, chunk = path.stat().st_size, settings(Path("."), Path(".")).upload_chunk_bytes
    return -(-size // chunk)


@pytest.mark.parametrize("crash_at", ["upload_complete", "upload_published"])
def test_server_killed_after_the_last_chunk_still_processes_the_packet(start_sync_server, tmp_path, crash_at):
    server = start_sync_server(tmp_path / "server", workers=1, env={"OPENREG_SERVER_TEST_CRASH_AT": crash_at})
    app, data, keyring = enrolled_kiosk(tmp_path, server)
    try:
        (rid,) = register_and_approve(app, 1)
        app.settings.upload_max_attempts = 1
        report = app.upload_agent().upload_approved()
        assert rid in report.failed and local(app)[rid]["status"] == "uploading"
    finally:
        app.close()
    assert server.process.wait(timeout=10) == -signal.SIGKILL  # died at the crash point
    server.env = {}
    server.start()
    app = build_client(settings(data, keyring, server.url))
    try:
        transport = CountingTransport(app.server())
        assert agent(app, transport).upload_approved().uploaded == [rid]
        assert transport.calls[rid] <= 2  # register (offset = size, received) and the status check
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            (status,) = app.packet_outcomes().poll_statuses()
            if status.status in ("processed", "rejected"):
                break
            time.sleep(0.3)
        assert (status.status, len(status.uin or "")) == ("processed", 10), status
    finally:
        app.close()

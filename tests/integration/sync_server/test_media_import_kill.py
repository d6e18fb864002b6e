"""``openreg admin packets import`` SIGKILLed inside a batch (issue 21): after the packets of the batch
were copied and published but before the folder fsync and the status transaction, then run again:
every packet is held once, with its bytes, and nothing half-written stays behind."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.bootstrap import build_state
from sync_server.db.tables import PacketRow
from sync_server.services.media_intake import BATCH_PACKETS
from sync_server.settings import ServerSettings
from tests.support.media import enrolled_kiosk, write_export

ROOT = Path(__file__).resolve().parents[3]


def import_cli(stick: Path, data: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", "admin", "packets", "import", str(stick), "--data", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_an_import_killed_between_copy_and_record_is_completed_by_the_next(tmp_path):
    data, stick = tmp_path / "server", tmp_path / "stick"
    state = build_state(ServerSettings(data_dir=data, demo=False))
    try:
        kiosk = enrolled_kiosk(state.engine)
    finally:
        state.engine.dispose()
    contents = [os.urandom(20_000 + n) for n in range(BATCH_PACKETS + 3)]  # two batches
    _folder, rids = write_export(stick, kiosk, contents)

    killed = import_cli(stick, data, {"OPENREG_SERVER_TEST_CRASH_AT": "upload_published"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    state = build_state(ServerSettings(data_dir=data, demo=False))
    try:
        with Session(state.engine) as session:
            held = dict(session.execute(select(PacketRow.rid, PacketRow.status)).all())
        assert "received" not in held.values()  # nothing recorded before its batch was durable

        again = import_cli(stick, data)
        assert again.returncode == 0, again.stdout + again.stderr
        counts = re.search(r"(\d+) received, (\d+) already here, 0 refused", again.stdout)
        assert counts and int(counts[1]) + int(counts[2]) == len(rids), again.stdout
        with Session(state.engine) as session:
            held = dict(session.execute(select(PacketRow.rid, PacketRow.status)).all())
        assert held == dict.fromkeys(rids, "received")
        for rid, content in zip(rids, contents, strict=True):
            stored = state.blobs.final_path(rid).read_bytes()
            assert hashlib.sha256(stored).digest() == hashlib.sha256(content).digest()
        assert not list(state.blobs.partial.glob("*.part"))
        third = import_cli(stick, data)
        assert f"0 received, {len(rids)} already here, 0 refused" in third.stdout
    finally:
        state.engine.dispose()

"""The kiosk's upload agent speaks tus 1.0.0 to the real server process (real SQLCipher store, real HTTP
transport): a run cut off by the network leaves a partial upload on the server, and a new transport and
agent (a restarted kiosk) resume it from the server's offset without sending the first part again."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

import pytest
from sqlalchemy import text

from client.core.machine import MachineKeys, write_setting
from client.core.settings import ClientSettings
from client.core.store import Store, get_or_create_db_key
from client.core.sync.http import HttpServer
from client.core.sync.transport import TransportError
from client.core.sync.upload import UploadAgent
from shared.rid import format_rid
from shared.signing import public_key_b64

CHUNK = 64 * 1024
SIZE = 10 * CHUNK + 123


class CutOff:
    """The real transport, whose network goes away after ``chunks`` PATCHes; counts the bytes sent."""

    def __init__(self, real: HttpServer, chunks: int | None = None) -> None:
        self._real, self._left, self.sent, self.created = real, chunks, 0, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def register_packet(self, **kwargs: Any) -> int:
        self.created += 1
        return self._real.register_packet(**kwargs)

    def upload_chunk(self, *, rid: str, offset: int, data: bytes) -> int:
        if self._left is not None:
            if self._left == 0:
                raise TransportError("connection reset")
            self._left -= 1
        self.sent += len(data)
        return self._real.upload_chunk(rid=rid, offset=offset, data=data)


@pytest.fixture
def kiosk(tmp_path, sync_server):
    """An enrolled kiosk store holding one approved packet; returns (store, rid, bytes)."""
    key = get_or_create_db_key(db_path=tmp_path / "client.db", keyring_file=tmp_path / "keyring.cfg")
    store = Store(path=tmp_path / "client.db", key=key)
    keys = MachineKeys(store=store)
    answer = HttpServer(base_url=sync_server.url, machine=keys).enrol(
        public_key=public_key_b64(keys.private_key()), center_id="10001", name="tus kiosk"
    )
    data = os.urandom(SIZE)
    rid = format_rid(center_id=10001, machine_id=int(answer.machine_id), sequence=1, created_at=_now())
    path = tmp_path / f"{rid}.age"
    path.write_bytes(data)
    with store.transaction() as conn:
        write_setting(conn, "machine.id", answer.machine_id)
        write_setting(conn, "machine.center_id", "10001")
        conn.execute(
            text(
                "INSERT INTO registrations (rid, status, operator_id, created_at, packet_path, sha256, size) "
                "VALUES (:r, 'approved', 'op1', :t, :p, :h, :n)"
            ),
            {
                "r": rid,
                "t": _now().isoformat(),
                "p": str(path),
                "h": hashlib.sha256(data).hexdigest(),
                "n": SIZE,
            },
        )
    yield store, rid, data
    store.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _agent(store: Store, transport: Any, tmp_path) -> UploadAgent:
    settings = ClientSettings(
        data_dir=tmp_path, upload_chunk_bytes=CHUNK, upload_max_attempts=1, backoff_initial_s=0.001
    )
    return UploadAgent(store=store, transport=transport, settings=settings)


def test_a_cut_off_upload_resumes_from_the_server_offset_after_a_restart(kiosk, sync_server, tmp_path):
    store, rid, data = kiosk
    first = CutOff(HttpServer(base_url=sync_server.url, machine=MachineKeys(store=store)), chunks=4)
    report = _agent(store, first, tmp_path).upload_approved()
    assert rid in report.failed and first.sent == 4 * CHUNK
    partial = sync_server.data_dir / "packets" / "partial" / f"{rid}.part"
    assert partial.read_bytes() == data[: 4 * CHUNK]

    # the kiosk restarts: a new transport (new token) and a new agent; tus creation finds the upload
    second = CutOff(HttpServer(base_url=sync_server.url, machine=MachineKeys(store=store)))
    assert second.upload_offset(rid=rid) == 4 * CHUNK  # what a tus HEAD says
    report = _agent(store, second, tmp_path).upload_approved()
    assert report.ok and report.uploaded == [rid], report
    assert second.sent == SIZE - 4 * CHUNK  # nothing sent twice
    assert (sync_server.data_dir / "packets" / f"{rid}.age").read_bytes() == data
    with store.transaction() as conn:
        assert (
            conn.execute(text("SELECT status FROM registrations WHERE rid = :r"), {"r": rid}).scalar()
            == "uploaded"
        )

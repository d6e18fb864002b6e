"""The services over the blob-store port with the S3 adapter (a real S3-compatible server): the upload
path, expiry (also by the periodic sweep of a running server) and the one-pass stick import keep
their promises there as on the local folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.media.layout import packet_file
from shared.rid import format_rid
from shared.sync import PacketRegisterRequest, PacketState
from sync_server.db.tables import PacketRow
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.clock import utcnow
from sync_server.services.media_import import MediaImportContext, import_stick
from sync_server.services.packet_handover import StoredPackets
from sync_server.services.tus_expiry import UPLOAD_TTL, UploadSweeper, expire_stale_uploads
from tests.support.media import enrolled_kiosk, write_export

MACHINE = Principal(kind="machine", subject="10001", roles=["machine"], center_id="10001")
DATA = os.urandom(300_000)


@pytest.fixture
def s3_blobs(s3_server, tmp_path):
    blobs = s3_server.store(tmp_path / "server")
    yield blobs
    blobs.close()


def _register(engine, blobs, sequence: int = 1, data: bytes = DATA) -> str:
    rid = format_rid(center_id=10001, machine_id=10001, sequence=sequence, created_at=dt.datetime.now(dt.UTC))
    request = PacketRegisterRequest(rid=rid, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    with Session(engine) as session:
        packets.register_packet(session, request=request, machine=MACHINE, blobs=blobs)
    return rid


def _status(engine, rid: str) -> str | None:
    with Session(engine) as session:
        row = session.get(PacketRow, rid)
        return row.status if row else None


def test_an_upload_in_chunks_is_received_and_published_in_the_bucket(console_state, s3_blobs):
    engine = console_state.engine
    rid = _register(engine, s3_blobs)
    with Session(engine) as session:
        for offset in range(0, len(DATA), 100_000):
            new_offset, state = packets.upload_chunk(
                session, rid=rid, offset=offset, data=DATA[offset : offset + 100_000], machine=MACHINE,
                blobs=s3_blobs,
            )  # fmt: skip
        assert (new_offset, state) == (len(DATA), PacketState.received)
    assert (
        _status(engine, rid) == "received"
        and s3_blobs.digest(rid, final=True) == hashlib.sha256(DATA).hexdigest()
    )
    assert s3_blobs.offset(rid) == 0  # the chunk objects went with publishing


def test_expired_uploads_are_dropped_from_the_bucket(console_state, s3_blobs):
    engine = console_state.engine
    rid = _register(engine, s3_blobs)
    with s3_blobs.locked(rid):
        s3_blobs.append(rid, DATA[:1000])
    with Session(engine) as session:
        assert expire_stale_uploads(session, blobs=s3_blobs) == []  # active just now
        assert expire_stale_uploads(session, blobs=s3_blobs, ttl=dt.timedelta(0)) == [rid]
    assert _status(engine, rid) is None and s3_blobs.offset(rid) == 0


def test_a_running_server_sweeps_expired_uploads_periodically(console_state):
    engine, blobs = console_state.engine, console_state.blobs
    stale, fresh = _register(engine, blobs, 1), _register(engine, blobs, 2)
    with Session(engine) as session, session.begin():
        session.get(PacketRow, stale).registered_at = utcnow() - 2 * UPLOAD_TTL
    sweeper = UploadSweeper(engine, blobs=blobs, interval_s=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while _status(engine, stale) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweeper.stop()
    assert _status(engine, stale) is None and _status(engine, fresh) == "registered"


def test_a_stick_goes_into_the_bucket_in_one_pass_and_only_once(console_state, s3_blobs, tmp_path):
    ctx = MediaImportContext(
        engine=console_state.engine, blobs=s3_blobs, signing_key=console_state.keys.signing_key
    )
    kiosk = enrolled_kiosk(console_state.engine)
    contents = [os.urandom(3000), os.urandom(9 * 1024 * 1024), b"a" * 500]
    folder, rids = write_export(tmp_path / "stick", kiosk, contents)
    packet_file(folder, rids[2]).write_bytes(b"b" * 500)  # altered on the way: same size, other bytes
    (result,) = import_stick(ctx, tmp_path / "stick", actor="cli:test")
    assert [p.outcome for p in result.packets] == ["received", "received", "refused"]
    assert "altered" in result.packets[2].detail
    for rid, data in zip(rids[:2], contents, strict=False):
        assert s3_blobs.digest(rid, final=True) == hashlib.sha256(data).hexdigest()
    with Session(console_state.engine) as session:
        held = dict(session.execute(select(PacketRow.rid, PacketRow.status)).all())
    assert held == {rids[0]: "received", rids[1]: "received"}  # nothing registered for the altered one
    assert not s3_blobs.has_final(rids[2])
    (again,) = import_stick(ctx, tmp_path / "stick", actor="cli:test")
    assert [p.outcome for p in again.packets][:2] == ["already", "already"]


def test_workers_read_a_packet_from_the_bucket_as_a_local_copy_and_clean_up(
    console_state, s3_blobs, tmp_path
):
    data_dir = tmp_path / "worker"
    stale = data_dir / "tmp" / "packets-999999999"  # a killed worker's folder (no such process)
    stale.mkdir(parents=True)
    s3_blobs.ingest(
        "10001100010000120261207120000",
        io.BytesIO(DATA),
        sha256=hashlib.sha256(DATA).hexdigest(),
        size=len(DATA),
    )
    packets_port = StoredPackets(console_state.engine, blobs=s3_blobs, data_dir=data_dir)
    path = packets_port.blob_path("10001100010000120261207120000")
    assert path.read_bytes() == DATA and path.stat().st_mode & 0o077 == 0 and not stale.exists()
    packets_port.release()
    assert not path.exists()
    again = packets_port.blob_path("10001100010000120261207120000")
    packets_port.blob_path("10001100010000120261207120000")  # the thread's next packet drops the last copy
    assert len(list(again.parent.iterdir())) == 1
    packets_port.close()
    assert not again.parent.exists()
    local = StoredPackets(console_state.engine, blobs=console_state.blobs, data_dir=data_dir)
    assert local.blob_path("10001100010000120261207120000") == console_state.blobs.final_path(
        "10001100010000120261207120000"
    )

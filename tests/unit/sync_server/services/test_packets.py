"""The packet intake service on one caller-owned session (the request's unit of work)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.rid import format_rid
from shared.sync import ErrorCode, PacketRegisterRequest, PacketState
from sync_server.db.tables import PacketRow
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.errors import Conflict, Forbidden

MACHINE = Principal(kind="machine", subject="10001", roles=["machine"], center_id="10002")
DATA = os.urandom(3000)


def _register(engine, blobs, data=DATA) -> str:
    rid = format_rid(center_id=10002, machine_id=10001, sequence=1, created_at=dt.datetime.now(dt.UTC))
    request = PacketRegisterRequest(rid=rid, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    with Session(engine) as session:
        row, offset = packets.register_packet(session, request=request, machine=MACHINE, blobs=blobs)
    assert (row.status, offset) == ("registered", 0)
    return rid


def _status(engine, rid: str) -> str:
    with Session(engine) as session:
        return session.get(PacketRow, rid).status


def test_a_whole_upload_runs_in_one_session(engine, blobs):
    rid = _register(engine, blobs)
    sessions: list[Session] = []

    def began(session: Session, *_: object) -> None:
        sessions.append(session)

    event.listen(Session, "after_begin", began)
    try:
        with Session(engine) as session:
            assert packets.upload_chunk(
                session, rid=rid, offset=0, data=DATA[:1000], machine=MACHINE, blobs=blobs
            ) == (1000, PacketState.receiving)
            assert packets.upload_chunk(
                session, rid=rid, offset=1000, data=DATA[1000:], machine=MACHINE, blobs=blobs
            ) == (len(DATA), PacketState.received)
    finally:
        event.remove(Session, "after_begin", began)
    assert {id(s) for s in sessions} == {id(session)}
    assert _status(engine, rid) == "received" and blobs.final_path(rid).read_bytes() == DATA


def test_a_refused_last_chunk_still_commits_what_the_disk_shows(engine, blobs):
    rid = _register(engine, blobs)
    bad = bytes(DATA[:-1]) + bytes([DATA[-1] ^ 0xFF])
    with Session(engine) as session, pytest.raises(Conflict) as refused:
        packets.upload_chunk(session, rid=rid, offset=0, data=bad, machine=MACHINE, blobs=blobs)
    assert refused.value.code is ErrorCode.hash_mismatch and refused.value.current_offset == 0
    # the partial was dropped, and the row says so although the call raised
    assert _status(engine, rid) == "registered" and blobs.offset(rid) == 0


def test_another_machine_is_refused_before_any_write(engine, blobs):
    rid = _register(engine, blobs)
    other = Principal(kind="machine", subject="10003", roles=["machine"], center_id="10002")
    with Session(engine) as session, pytest.raises(Forbidden) as refused:
        packets.upload_chunk(session, rid=rid, offset=0, data=DATA, machine=other, blobs=blobs)
    assert refused.value.code is ErrorCode.rid_not_yours
    assert _status(engine, rid) == "registered" and blobs.offset(rid) == 0


@pytest.mark.parametrize("given", [None, hashlib.sha256(DATA).hexdigest()], ids=["hashed here", "given"])
def test_a_packet_sent_whole_is_checked_without_reading_it_back(engine, blobs, monkeypatch, given):
    """One chunk from offset 0 is the whole file: its hash is the chunk's (given by a checked
    Upload-Checksum, or computed once), and the file just written is not read back."""
    rid = _register(engine, blobs)

    def no_read_back(*_args, **_kwargs):
        raise AssertionError("the published bytes were read back")

    monkeypatch.setattr(blobs, "digest", no_read_back)
    with Session(engine) as session:
        assert packets.upload_chunk(
            session, rid=rid, offset=0, data=DATA, machine=MACHINE, blobs=blobs, data_sha256=given
        ) == (len(DATA), PacketState.received)
    assert _status(engine, rid) == "received" and blobs.final_path(rid).read_bytes() == DATA


def test_a_whole_packet_with_other_bytes_is_dropped_and_refused(engine, blobs):
    rid = _register(engine, blobs)
    other = os.urandom(len(DATA))
    with Session(engine) as session, pytest.raises(Conflict) as refused:
        packets.upload_chunk(
            session,
            rid=rid,
            offset=0,
            data=other,
            machine=MACHINE,
            blobs=blobs,
            data_sha256=hashlib.sha256(other).hexdigest(),
        )
    assert refused.value.code == ErrorCode.hash_mismatch and refused.value.current_offset == 0
    assert _status(engine, rid) == "registered"
    assert not blobs.has_final(rid) and blobs.offset(rid) == 0

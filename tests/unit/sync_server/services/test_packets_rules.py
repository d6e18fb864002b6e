"""The packet intake rules one by one, on real SQLite and a real blob folder: who owns a RID, the capture
clock, registration (idempotent, size limit, supervisor rejection), resume points, finishing an upload a
crash left complete, refused chunks, damaged reports, the admin list and the per-RID status."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from sqlalchemy.orm import Session

from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.rid import format_rid
from shared.sync import ErrorCode, PacketDamagedReport, PacketRegisterRequest, PacketState
from sync_server.db.tables import PacketRow
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.clock import use_clock
from sync_server.services.errors import BadInput, Conflict, Forbidden, NotFound, TooLarge

MACHINE = Principal(kind="machine", subject="10001", roles=["machine"], center_id="10002")
DATA = os.urandom(3000)
SHA = hashlib.sha256(DATA).hexdigest()
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with use_clock(lambda: NOW):
        yield


def rid_of(sequence: int = 1, *, center: int = 10002, machine: int = 10001, at: dt.datetime = NOW) -> str:
    return format_rid(center_id=center, machine_id=machine, sequence=sequence, created_at=at)


def request(rid: str, data: bytes = DATA, **extra) -> PacketRegisterRequest:
    return PacketRegisterRequest(rid=rid, sha256=hashlib.sha256(data).hexdigest(), size=len(data), **extra)


def register(engine, blobs, rid: str, data: bytes = DATA, **extra):
    with Session(engine) as session:
        return packets.register_packet(
            session, request=request(rid, data, **extra), machine=MACHINE, blobs=blobs
        )


def chunk(engine, blobs, rid: str, offset: int, data: bytes):
    with Session(engine) as session:
        return packets.upload_chunk(session, rid=rid, offset=offset, data=data, machine=MACHINE, blobs=blobs)


def row_of(engine, rid: str) -> PacketRow | None:
    with Session(engine) as session:
        row = session.get(PacketRow, rid)
        if row is not None:
            session.expunge(row)
        return row


def test_a_rid_that_does_not_parse_is_a_validation_error():
    with pytest.raises(BadInput) as refused:
        packets.check_rid_owner("1" * 28, MACHINE)
    assert refused.value.code is ErrorCode.validation_error and refused.value.detail.startswith("rid: ")


@pytest.mark.parametrize(("center", "machine"), [(10002, 10003), (10003, 10001)])
def test_a_rid_of_another_machine_or_center_is_not_yours(center, machine):
    rid = rid_of(center=center, machine=machine)
    with pytest.raises(Forbidden) as refused:
        packets.check_rid_owner(rid, MACHINE)
    assert refused.value.code is ErrorCode.rid_not_yours
    assert refused.value.detail == (
        f"RID {rid} belongs to machine {machine:05d} at center {center:05d}, "
        "not to this machine (10001 at 10002)"
    )
    packets.check_rid_owner(rid_of(), MACHINE)  # the caller's own: no error


@pytest.mark.parametrize(
    ("created_at", "accepted"),
    [
        ("2026-12-02T12:00:00Z", True),  # exactly the allowance ahead
        ("2026-12-02T12:00:01Z", False),
        ("2026-12-02T12:00:01", False),  # naive: read as UTC
        ("2026-12-02T12:00:00", True),
        ("2026-12-02T13:00:00+02:00", True),  # 11:00 UTC
        (None, True),
        ("", True),
    ],
)
def test_the_capture_time_may_be_at_most_the_skew_allowance_ahead(created_at, accepted):
    check = request(rid_of(), created_at=created_at)
    if accepted:
        packets.check_capture_time(check)
        return
    with pytest.raises(BadInput) as refused:
        packets.check_capture_time(check)
    assert refused.value.code is ErrorCode.capture_in_future
    assert "2026-12-02T12:00:01+00:00" in refused.value.detail and "check the kiosk" in refused.value.detail


def test_the_rid_capture_time_counts_too_and_a_bad_created_at_is_a_validation_error():
    ahead = NOW + dt.timedelta(hours=24)
    packets.check_capture_time(request(rid_of(at=ahead)))
    with pytest.raises(BadInput) as refused:
        packets.check_capture_time(request(rid_of(at=ahead + dt.timedelta(seconds=1))))
    assert refused.value.code is ErrorCode.capture_in_future
    with pytest.raises(BadInput) as refused:
        packets.check_capture_time(request(rid_of(), created_at="yesterday"))
    assert refused.value.code is ErrorCode.validation_error and refused.value.detail.startswith(
        "created_at: "
    )


def test_a_registration_records_who_and_when(engine, blobs):
    rid = rid_of()
    row, offset = register(
        engine, blobs, rid, operator_id="op1", supervisor_id="sup1", created_at="2026-12-01"
    )
    assert offset == 0 and row.status == "registered"
    stored = row_of(engine, rid)
    assert (stored.machine_id, stored.center_id, stored.sha256, stored.size) == ("10001", "10002", SHA, 3000)
    assert (stored.operator_id, stored.supervisor_id, stored.client_created_at) == (
        "op1",
        "sup1",
        "2026-12-01",
    )
    assert (stored.reason_code, stored.reason, stored.status) == (None, None, "registered")
    assert stored.registered_at.replace(tzinfo=dt.UTC) == NOW


@pytest.mark.parametrize(("reason", "text"), [("blurred photo", ": blurred photo"), (None, ":")])
def test_a_supervisor_rejection_is_registered_as_rejected_with_its_reason(engine, blobs, reason, text):
    rid = rid_of()
    row, offset = register(engine, blobs, rid, supervisor_rejected=True, reason=reason)
    assert (row.status, offset) == ("rejected", 0)
    stored = row_of(engine, rid)
    assert stored.reason_code == "supervisor_rejected"
    assert stored.reason == "rejected by the supervisor at the kiosk" + text
    with pytest.raises(Conflict) as refused:
        chunk(engine, blobs, rid, 0, DATA)
    assert refused.value.code is ErrorCode.packet_conflict and "rejected" in refused.value.detail


def test_the_sealed_size_limit_is_inclusive(engine, blobs):
    big = PacketRegisterRequest(rid=rid_of(1), sha256=SHA, size=MAX_SEALED_PACKET_BYTES + 1)
    with Session(engine) as session, pytest.raises(TooLarge) as refused:
        packets.register_packet(session, request=big, machine=MACHINE, blobs=blobs)
    assert (
        refused.value.code is ErrorCode.packet_too_large
        and str(MAX_SEALED_PACKET_BYTES + 1) in refused.value.detail
    )
    assert row_of(engine, rid_of(1)) is None
    limit = PacketRegisterRequest(rid=rid_of(2), sha256=SHA, size=MAX_SEALED_PACKET_BYTES)
    with Session(engine) as session:
        assert packets.register_packet(session, request=limit, machine=MACHINE, blobs=blobs)[1] == 0


def test_registering_again_resumes_where_the_bytes_stand(engine, blobs):
    rid = rid_of()
    register(engine, blobs, rid)
    assert chunk(engine, blobs, rid, 0, DATA[:1000]) == (1000, PacketState.receiving)
    assert row_of(engine, rid).status == "receiving"
    row, offset = register(engine, blobs, rid)
    assert (row.status, offset) == ("receiving", 1000)
    with Session(engine) as session:
        assert packets.upload_offset(session, rid=rid, machine=MACHINE, blobs=blobs) == (1000, 3000)
    for other in (DATA[:-1], DATA[:-1] + b"!"):  # another size, another hash
        with pytest.raises(Conflict) as refused:
            register(engine, blobs, rid, other)
        assert refused.value.code is ErrorCode.packet_conflict


def test_a_packet_complete_on_disk_is_finished_by_the_next_register_or_offset_query(engine, blobs):
    first, second = rid_of(1), rid_of(2)
    for rid in (first, second):
        register(engine, blobs, rid)
        blobs.append(rid, DATA)  # all bytes written, then a crash before the hash check
    row, offset = register(engine, blobs, first)
    assert (row.status, offset) == ("received", 3000) and blobs.final_path(first).read_bytes() == DATA
    with Session(engine) as session:
        assert packets.upload_offset(session, rid=second, machine=MACHINE, blobs=blobs) == (3000, 3000)
    assert row_of(engine, second).status == "received"
    assert row_of(engine, second).received_at.replace(tzinfo=dt.UTC) == NOW
    assert register(engine, blobs, second)[1] == 3000  # received: resume at the end


def test_a_full_partial_with_other_bytes_is_dropped_and_registered_again(engine, blobs):
    rid = rid_of()
    register(engine, blobs, rid)
    blobs.append(rid, DATA[:-1] + b"!")
    row, offset = register(engine, blobs, rid)
    assert (row.status, offset) == ("registered", 0) and blobs.offset(rid) == 0
    assert row_of(engine, rid).received_at is None


def test_unknown_and_foreign_rows_are_not_found(engine, blobs):
    rid = rid_of()
    with Session(engine) as session, pytest.raises(NotFound) as refused:
        packets.upload_offset(session, rid=rid, machine=MACHINE, blobs=blobs)
    assert refused.value.code is ErrorCode.packet_unknown
    with Session(engine) as session, session.begin():  # a row that names another machine
        session.add(
            PacketRow(
                rid=rid,
                machine_id="10009",
                center_id="10002",
                sha256=SHA,
                size=3000,
                status="registered",
                registered_at=NOW,
            )
        )
    with pytest.raises(NotFound):
        chunk(engine, blobs, rid, 0, DATA)
    with Session(engine) as session:
        assert packets.finish_if_complete(session, rid=rid_of(7), blobs=blobs) is None


def test_finishing_a_published_file(engine, blobs):
    good, bad = rid_of(1), rid_of(2)
    for rid in (good, bad):
        register(engine, blobs, rid)
    blobs.append(good, DATA[:10])  # a stale partial beside the published file
    blobs.final_path(good).write_bytes(DATA)
    blobs.final_path(bad).write_bytes(b"damaged on disk")
    with Session(engine) as session:
        assert packets.recover_complete_uploads(session, blobs=blobs) == [good]
    assert row_of(engine, good).status == "received" and blobs.offset(good) == 0
    assert not blobs.has_final(bad) and row_of(engine, bad).status == "registered"
    with Session(engine) as session:  # already received: the state as it is, nothing done
        assert packets.finish_if_complete(session, rid=good, blobs=blobs) is PacketState.received
        assert packets.finish_if_complete(session, rid=bad, blobs=blobs) is PacketState.registered


def test_recovery_finishes_only_complete_uploads(engine, blobs):
    done, short, fresh = rid_of(1), rid_of(2), rid_of(3)
    for rid in (done, short, fresh):
        register(engine, blobs, rid)
    blobs.append(done, DATA)
    blobs.append(short, DATA[:2999])
    with Session(engine) as session:
        assert packets.recover_complete_uploads(session, blobs=blobs) == [done]
    assert [row_of(engine, r).status for r in (done, short, fresh)] == [
        "received",
        "registered",
        "registered",
    ]


def test_chunks_at_the_wrong_offset_or_past_the_size_are_refused_with_the_offset(engine, blobs):
    rid = rid_of()
    register(engine, blobs, rid)
    chunk(engine, blobs, rid, 0, DATA[:1000])
    with pytest.raises(Conflict) as refused:
        chunk(engine, blobs, rid, 500, DATA[500:1500])
    assert refused.value.code is ErrorCode.offset_mismatch and refused.value.current_offset == 1000
    assert refused.value.detail == "wrong Upload-Offset 500; the server has offset 1000"
    with pytest.raises(TooLarge) as refused:
        chunk(engine, blobs, rid, 1000, DATA[1000:] + b"x")
    assert refused.value.code is ErrorCode.size_exceeded and refused.value.current_offset == 1000
    assert refused.value.detail == "3001 bytes exceed the registered size 3000"
    assert chunk(engine, blobs, rid, 1000, b"") == (1000, PacketState.receiving)  # an empty chunk: no-op
    assert chunk(engine, blobs, rid, 1000, DATA[1000:]) == (3000, PacketState.received)  # exactly the size
    assert row_of(engine, rid).received_at.replace(tzinfo=dt.UTC) == NOW
    # a retried last chunk of a received packet succeeds without writing
    assert chunk(engine, blobs, rid, 1000, DATA[1000:]) == (3000, PacketState.received)
    assert blobs.final_path(rid).read_bytes() == DATA and blobs.offset(rid) == 0


def test_a_chunk_that_finds_the_bytes_complete_finishes_the_packet(engine, blobs):
    rid = rid_of()
    register(engine, blobs, rid)
    blobs.append(rid, DATA)
    assert chunk(engine, blobs, rid, 0, DATA) == (3000, PacketState.received)
    assert blobs.final_path(rid).read_bytes() == DATA


def damaged(sha: str = SHA, size: int = 3000, problem: str = "truncated") -> PacketDamagedReport:
    return PacketDamagedReport(sha256=sha, size=size, problem=problem, detail="cut at 10 bytes")


def report(engine, blobs, rid: str, body: PacketDamagedReport):
    with Session(engine) as session:
        return packets.report_damaged(session, rid=rid, report=body, machine=MACHINE, blobs=blobs)


def test_a_damaged_report_registers_the_rid_as_damaged(engine, blobs):
    rid = rid_of()
    answer = report(engine, blobs, rid, damaged())
    why = "the kiosk's sealed file is damaged (truncated); it was quarantined there. cut at 10 bytes"
    assert (answer.rid, answer.status, answer.reason_code, answer.reason) == (
        rid,
        PacketState.damaged,
        "kiosk_truncated",
        why,
    )
    stored = row_of(engine, rid)
    assert (stored.machine_id, stored.center_id, stored.sha256, stored.size) == ("10001", "10002", SHA, 3000)
    assert (stored.status, stored.reason_code, stored.reason) == ("damaged", "kiosk_truncated", why)
    assert stored.registered_at.replace(tzinfo=dt.UTC) == NOW
    with pytest.raises(Conflict) as refused:
        chunk(engine, blobs, rid, 0, DATA)
    assert refused.value.code is ErrorCode.packet_damaged
    # reported again (say, with another problem): still damaged, the latest reason kept
    again = report(engine, blobs, rid, damaged(problem="missing"))
    assert (again.status, again.reason_code) == (PacketState.damaged, "kiosk_missing")


def test_a_damaged_report_drops_a_partial_upload_but_keeps_a_received_packet(engine, blobs):
    partial, whole = rid_of(1), rid_of(2)
    for rid in (partial, whole):
        register(engine, blobs, rid)
    chunk(engine, blobs, partial, 0, DATA[:1000])
    answer = report(engine, blobs, partial, damaged())
    assert answer.status is PacketState.damaged and blobs.offset(partial) == 0
    chunk(engine, blobs, whole, 0, DATA)
    answer = report(engine, blobs, whole, damaged())
    assert (answer.status, answer.reason_code) == (PacketState.received, None)
    assert row_of(engine, whole).status == "received" and blobs.final_path(whole).read_bytes() == DATA


def test_a_damaged_report_is_checked_like_a_registration(engine, blobs):
    rid = rid_of()
    register(engine, blobs, rid)
    with pytest.raises(Conflict) as refused:
        report(engine, blobs, rid, damaged(size=2999))
    assert refused.value.code is ErrorCode.packet_conflict
    with pytest.raises(Conflict):
        report(engine, blobs, rid, damaged(sha="0" * 64))
    with pytest.raises(TooLarge) as refused:
        report(engine, blobs, rid_of(2), damaged(size=MAX_SEALED_PACKET_BYTES + 1))
    assert refused.value.code is ErrorCode.packet_too_large and row_of(engine, rid_of(2)) is None
    report(engine, blobs, rid_of(3), damaged(size=MAX_SEALED_PACKET_BYTES))
    with Session(engine) as session, session.begin():
        session.get(PacketRow, rid).machine_id = "10009"
    with pytest.raises(NotFound):
        report(engine, blobs, rid, damaged())
    assert row_of(engine, rid).status == "registered"


def test_admins_list_the_newest_first_by_state_and_limit(engine, blobs):
    for sequence, minutes in ((1, 0), (2, 5), (3, 10)):
        with use_clock(lambda m=minutes: NOW + dt.timedelta(minutes=m)):
            register(engine, blobs, rid_of(sequence))
    chunk(engine, blobs, rid_of(2), 0, DATA)
    with Session(engine) as session:
        listed = packets.list_packets(session, status=None, limit=10)
        assert [p.rid for p in listed] == [rid_of(3), rid_of(2), rid_of(1)]
        assert [p.rid for p in packets.list_packets(session, status=None, limit=2)] == [rid_of(3), rid_of(2)]
        received = packets.list_packets(session, status=PacketState.received, limit=10)
    assert [p.rid for p in received] == [rid_of(2)]
    one = received[0]
    assert (one.machine_id, one.center_id, one.size, one.status) == (
        "10001",
        "10002",
        3000,
        PacketState.received,
    )
    assert one.registered_at == NOW + dt.timedelta(minutes=5) and one.received_at == NOW
    assert listed[0].received_at is None and listed[0].reason_code is None


def test_statuses_per_rid(engine, blobs):
    mine, partial, crashed, done = rid_of(1), rid_of(2), rid_of(3), rid_of(4)
    for rid in (mine, partial, crashed, done):
        register(engine, blobs, rid)
    chunk(engine, blobs, partial, 0, DATA[:700])
    blobs.append(crashed, DATA)
    chunk(engine, blobs, done, 0, DATA)
    report(engine, blobs, mine, damaged())
    foreign = rid_of(5)
    with Session(engine) as session, session.begin():
        session.add(
            PacketRow(
                rid=foreign,
                machine_id="10009",
                center_id="10002",
                sha256=SHA,
                size=3000,
                status="received",
                registered_at=NOW,
            )
        )
    asked = [mine, partial, crashed, done, foreign, "not-a-rid"]
    with Session(engine) as session:
        answer = packets.statuses(session, rids=asked, machine=MACHINE, blobs=blobs)
    assert [a.rid for a in answer] == asked
    assert [(a.status, a.offset) for a in answer] == [
        (PacketState.damaged, 0),
        (PacketState.receiving, 700),
        (PacketState.received, 3000),
        (PacketState.received, 3000),
        (PacketState.unknown, None),
        (PacketState.unknown, None),
    ]
    assert answer[0].reason_code == "kiosk_truncated" and answer[0].reason.startswith("the kiosk's")
    assert row_of(engine, crashed).status == "received"

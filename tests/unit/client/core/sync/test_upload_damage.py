"""The upload agent's damage paths that the other upload tests leave: a sealed file that becomes
unreadable after the pre-send check, a packet quarantined in an earlier round that the server turns out
to hold whole, and an offset mismatch whose answer already says where the server stands."""

import errno
from datetime import UTC, datetime

from sqlalchemy import text

from client.core.sync.transport import ServerRefused
from shared.sync import PacketStatus
from tests.unit.client.core.sync import test_upload as base

MemoryServer, agent_for = base.MemoryServer, base.agent_for
packets = base.packets  # the same four sealed packets, as a fixture here too

WHEN = datetime(2026, 6, 2, 8, 30, tzinfo=UTC)


def refuse_damage_reports(server: MemoryServer) -> None:
    """An older server without the damaged route: quarantined packets stay unreported."""
    server.report_damaged = lambda **kw: (_ for _ in ()).throw(ServerRefused("no such route"))


def row_of(store, rid: str) -> tuple:
    with store.transaction() as conn:
        return conn.execute(
            text("SELECT status, last_error, uploaded_at FROM registrations WHERE rid = :r"), {"r": rid}
        ).one()


def test_a_file_that_becomes_unreadable_after_the_check_is_quarantined_as_found(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    refuse_damage_reports(server)
    rid, path, _body = packets[1]
    real = server.register_packet

    def register(**kw):  # between the check and the send, the sealed file is replaced by a folder
        if kw["rid"] == rid:
            path.unlink()
            path.mkdir()
        return real(**kw)

    server.register_packet = register
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    expected = f"unreadable: {path.name}: Is a directory"
    assert report.quarantined == {rid: expected} and rid not in report.failed
    assert sorted(report.uploaded) == sorted(p[0] for p in packets if p[0] != rid)
    assert row_of(store, rid)[:2] == ("quarantined", expected)
    assert not server.blobs[rid]  # nothing was sent


def test_a_file_gone_after_the_check_is_quarantined_as_missing(store, master_data, packets, tmp_path):
    server = MemoryServer()
    refuse_damage_reports(server)
    rid, path, _body = packets[0]
    real = server.register_packet
    server.register_packet = lambda **kw: (path.unlink() if kw["rid"] == rid else None) or real(**kw)
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.quarantined == {rid: f"missing: the sealed file {path.name} is gone"}


def test_a_packet_quarantined_in_an_earlier_round_that_the_server_holds_counts_as_uploaded(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    refuse_damage_reports(server)
    rid, path, body = packets[2]
    path.write_bytes(body[:-1] + b"!")  # damaged here after it reached the server whole
    first = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert list(first.quarantined) == [rid] and rid not in first.uploaded
    server.report_damaged = lambda **kw: PacketStatus(rid=kw["rid"], status="received")
    second = agent_for(store, master_data, server, tmp_path, clock=lambda: WHEN).upload_approved()
    assert (second.uploaded, second.quarantined, second.failed) == ([rid], {}, {})
    status, _error, uploaded_at = row_of(store, rid)
    assert status == "uploaded" and uploaded_at == WHEN.isoformat()


def test_an_offset_mismatch_that_carries_the_offset_resumes_there_without_asking(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid, _path, body = packets[0]
    asked = []
    real_offset, real_register = server.upload_offset, server.register_packet
    server.upload_offset = lambda *, rid: asked.append(rid) or real_offset(rid=rid)

    def register(**kw):  # the server holds the first 2048 bytes but its answer says 0
        offset = real_register(**kw)
        if kw["rid"] == rid:
            server.blobs[rid][:] = body[:2048]
            return 0
        return offset

    server.register_packet = register
    sent = []
    real_chunk = server.upload_chunk
    server.upload_chunk = lambda **kw: sent.append((kw["rid"], kw["offset"])) or real_chunk(**kw)
    assert agent_for(store, master_data, server, tmp_path).upload_approved().ok
    assert asked == [] and [o for r, o in sent if r == rid][:2] == [0, 2048]
    assert bytes(server.blobs[rid]) == body


def test_a_read_error_while_sending_a_file_that_reads_whole_again_is_quarantined_as_unreadable(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    refuse_damage_reports(server)
    rid = packets[2][0]
    agent = agent_for(store, master_data, server, tmp_path)
    send = agent._send

    def failing(sending, handle, *args):  # the stick or disk gave an I/O error once, mid-send
        if sending == rid:
            raise OSError(errno.EIO, "Input/output error")
        return send(sending, handle, *args)

    agent._send = failing
    report = agent.upload_approved()
    expected = "unreadable: [Errno 5] Input/output error"
    assert report.quarantined == {rid: expected} and rid not in report.failed
    assert row_of(store, rid)[:2] == ("quarantined", expected)

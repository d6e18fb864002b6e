"""What the upload agent reports and records for each packet: progress per packet, the words of each
failure (kept on the registration row too), the metadata it registers, the time it marks an upload
with, and what a server refusal of the whole packet's hash means."""

import json
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import text

from client.core.sync.transport import ServerRefused, TransportError
from client.core.sync.upload import MAX_STALLS
from shared.sync import ErrorCode
from tests.unit.client.core.sync import test_upload as base

MemoryServer, agent_for = base.MemoryServer, base.agent_for
packets = base.packets  # the same four sealed packets, as a fixture here too

WHEN = datetime(2026, 6, 1, 10, 15, tzinfo=UTC)


def rows(store) -> dict[str, tuple]:
    with store.transaction() as conn:
        found = conn.execute(
            text("SELECT rid, status, last_error, upload_attempts, uploaded_at FROM registrations")
        ).all()
    return {r[0]: tuple(r[1:]) for r in found}


def shas(store) -> dict[str, str]:
    with store.transaction() as conn:
        return dict(conn.execute(text("SELECT rid, sha256 FROM registrations")).all())


def test_progress_names_each_packet_and_counts_each_once(store, master_data, packets, tmp_path):
    seen = []
    report = agent_for(store, master_data, MemoryServer(), tmp_path).upload_approved(progress=seen.append)
    assert report.ok
    sizes = {rid: len(body) for rid, _, body in packets}
    assert {p.rid for p in seen} == set(sizes)
    for p in seen:
        assert p.size == sizes[p.rid] and 0 < p.sent <= p.size and p.packets_total == 4
    finals = [p for p in seen if p.sent == p.size]
    assert sorted(p.packets_done for p in seen if p.sent == p.size)[-1] == 4
    assert len({p.rid for p in finals}) == 4
    assert [p.packets_done for p in seen] == sorted(p.packets_done for p in seen)  # never counted twice
    assert seen[-1].bytes_sent == seen[-1].bytes_total == sum(sizes.values())


def test_at_most_the_configured_number_of_packets_are_in_flight(store, master_data, packets, tmp_path):
    server, lock, active, peak = MemoryServer(), threading.Lock(), [0], [0]
    real = server.upload_chunk

    def slow(**kw):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.01)  # long enough for a second packet's chunk to overlap if one were allowed
            return real(**kw)
        finally:
            with lock:
                active[0] -= 1

    server.upload_chunk = slow
    assert agent_for(store, master_data, server, tmp_path, upload_parallelism=1).upload_approved().ok
    assert peak[0] == 1


def test_a_packet_counts_as_done_with_its_last_chunk(store, master_data, packets, tmp_path):
    seen = []
    agent = agent_for(store, master_data, MemoryServer(), tmp_path, upload_parallelism=1)
    assert agent.upload_approved(progress=seen.append).ok
    firsts = {}
    for p in seen:
        if p.sent == p.size:
            firsts.setdefault(p.rid, p.packets_done)
    assert sorted(firsts.values()) == [1, 2, 3, 4]


def test_registration_carries_who_made_it_and_when(store, master_data, packets, tmp_path):
    with store.transaction() as conn:
        conn.execute(text("UPDATE registrations SET supervisor_id = 'sup1', created_at = '2026-06-01T09:00'"))
    server, metas = MemoryServer(), {}
    real = server.register_packet

    def register(**kw):
        metas[kw["rid"]] = kw["meta"]
        return real(**kw)

    server.register_packet = register
    agent = agent_for(store, master_data, server, tmp_path, clock=lambda: WHEN)
    assert agent.upload_approved().ok
    assert metas == {
        rid: {"operator_id": "op1", "supervisor_id": "sup1", "created_at": "2026-06-01T09:00"}
        for rid, _, _ in packets
    }
    assert {r[3] for r in rows(store).values()} == {WHEN.isoformat()}
    with store.transaction() as conn:
        audit = conn.execute(text("SELECT details FROM audit_log WHERE action = 'packet.uploaded'")).all()
    assert sorted(json.loads(a[0])["rid"] for a in audit) == sorted(shas(store))
    assert all(
        json.loads(a[0]) == {"rid": r, "sha256": shas(store)[r]}
        for a in audit
        for r in [json.loads(a[0])["rid"]]
    )


def test_the_upload_time_is_the_real_clock_by_default(store, master_data, packets, tmp_path):
    before = datetime.now(UTC)
    assert agent_for(store, master_data, MemoryServer(), tmp_path).upload_approved().ok
    stamped = {datetime.fromisoformat(r[3]) for r in rows(store).values()}
    assert all(s.tzinfo is not None and before <= s <= datetime.now(UTC) for s in stamped)


def test_an_unreachable_server_is_said_and_recorded_per_packet(store, master_data, packets, tmp_path):
    server = MemoryServer()
    server.down = True
    report = agent_for(store, master_data, server, tmp_path, upload_max_attempts=2).upload_approved()
    assert report.failed == {
        rid: "server unreachable, will retry: connection refused" for rid, _, _ in packets
    }
    assert {rid: (r[1], r[2]) for rid, r in rows(store).items()} == {
        rid: ("network: connection refused", 1) for rid, _, _ in packets
    }


def test_a_refusal_and_a_surprise_are_said_and_recorded(store, master_data, packets, tmp_path):
    server = MemoryServer()
    (refused, _, _), (odd, _, _) = packets[0], packets[1]
    real = server.register_packet

    def register(**kw):
        if kw["rid"] == refused:
            raise ServerRefused("machine not approved", code=ErrorCode.forbidden)
        if kw["rid"] == odd:
            raise ValueError("a bug")
        return real(**kw)

    server.register_packet = register
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.failed == {refused: "server refused: machine not approved", odd: "error: ValueError: a bug"}
    recorded = rows(store)
    assert recorded[refused][1:3] == ("refused: machine not approved", 1)
    assert recorded[odd][1:3] == ("error: ValueError: a bug", 1)
    assert sorted(report.uploaded) == sorted(p[0] for p in packets[2:])


def test_a_server_that_does_not_know_the_packet_after_all_bytes_is_retried_next_round(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid = packets[0][0]
    real = server.packet_statuses
    server.packet_statuses = lambda *, rids: [] if rids == [rid] else real(rids=rids)
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.failed[rid] == (
        f"server refused: {rid}: all {len(packets[0][2])} bytes sent but the server says unknown; "
        "retrying next round"
    )


def test_a_file_damaged_before_upload_is_quarantined_and_never_sent(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid, path, body = packets[0]
    path.write_bytes(body[:-1] + bytes([body[-1] ^ 1]))
    server.report_damaged = lambda **kw: (_ for _ in ()).throw(ServerRefused("not yet"))
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert rid not in server.blobs and rid not in report.uploaded and rid not in report.failed
    assert report.quarantined[rid].startswith("hash_mismatch: ")
    assert rows(store)[rid][0] == "quarantined"


def test_a_whole_packet_hash_refusal_quarantines_a_file_that_changed_and_retries_one_that_did_not(
    store, master_data, packets, tmp_path
):
    (changed, changed_path, body), (intact, _, _) = packets[0], packets[1]
    server = MemoryServer()
    server.report_damaged = lambda **kw: (_ for _ in ()).throw(ServerRefused("not yet"))
    real = server.upload_chunk
    lock = threading.Lock()

    def refuse(**kw):
        if kw["rid"] in (changed, intact) and kw["offset"] + len(kw["data"]) >= server.meta[kw["rid"]][1]:
            with lock:
                if kw["rid"] == changed:
                    changed_path.write_bytes(b"y" + body[1:])  # the file changed while it was sent
            raise ServerRefused("hash differs", code=ErrorCode.hash_mismatch)
        return real(**kw)

    server.upload_chunk = refuse
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.quarantined[changed].startswith("hash_mismatch: ")
    assert report.failed[intact] == "server refused: hash differs"
    assert rows(store)[changed][0] == "quarantined" and rows(store)[intact][0] == "uploading"


def test_a_network_error_mid_packet_names_its_cause(store, master_data, packets, tmp_path):
    server = MemoryServer()
    server.upload_chunk = lambda **kw: (_ for _ in ()).throw(TransportError("connection reset"))
    report = agent_for(store, master_data, server, tmp_path, upload_max_attempts=1).upload_approved()
    assert set(report.failed.values()) == {"server unreachable, will retry: connection reset"}


def upload_calls(server: MemoryServer, rule) -> list[tuple[str, int]]:
    """Wrap the server's chunk route: ``rule(kw)`` may raise or return None to let the chunk through."""
    calls, real = [], server.upload_chunk

    def chunk(**kw):
        calls.append((kw["rid"], kw["offset"]))
        rule(kw)
        return real(**kw)

    server.upload_chunk = chunk
    return calls


def test_a_packet_costs_exactly_its_request_budget_and_says_so(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid, _, body = packets[0]

    def see_saw(kw):  # accepts a chunk, then claims to hold nothing
        if kw["rid"] == rid and kw["offset"] > 0:
            server.blobs[rid] = bytearray()

    calls = upload_calls(server, see_saw)
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert [c for c in calls if c[0] == rid].__len__() == 2 * -(-len(body) // 1024) + 2 * MAX_STALLS
    assert (
        report.failed[rid] == f"server refused: {rid}: too many requests for one packet; retrying next round"
    )


def test_stalls_are_counted_from_the_last_move(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid = packets[0][0]
    calls = upload_calls(server, lambda kw: kw["rid"] == rid and kw["offset"] > 0 and server.stuck.add(rid))
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert [c for c in calls if c[0] == rid] == [(rid, 0)] + [(rid, 1024)] * (MAX_STALLS + 1)
    assert report.failed[rid] == (
        f"server refused: {rid}: the server's offset did not move (1024); retrying next round"
    )


def test_a_file_cut_short_while_it_is_sent_is_quarantined_as_truncated(store, master_data, packets, tmp_path):
    server = MemoryServer()
    server.report_damaged = lambda **kw: (_ for _ in ()).throw(ServerRefused("not yet"))
    rid, path, body = packets[3]  # 8702 bytes: its last chunk is read from the file, not a read buffer
    upload_calls(server, lambda kw: kw["rid"] == rid and path.write_bytes(body[:8400]))
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.quarantined[rid] == f"truncated: the sealed file ends at byte 8400 of {len(body)}"


def test_a_chunk_broken_on_the_way_is_sent_again(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid, _, body = packets[0]
    broken = [True]

    def once(kw):
        if kw["rid"] == rid and kw["offset"] == 1024 and broken:
            broken.clear()
            raise ServerRefused("checksum", code=ErrorCode.checksum_mismatch)

    calls = upload_calls(server, once)
    assert agent_for(store, master_data, server, tmp_path).upload_approved().ok
    assert [o for r, o in calls if r == rid][:4] == [0, 1024, 1024, 2048] and bytes(server.blobs[rid]) == body


def test_an_offset_mismatch_without_an_offset_asks_the_server_where_it_is(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid, _, body = packets[0]
    asked = []
    real_offset = server.upload_offset
    server.upload_offset = lambda *, rid: asked.append(rid) or real_offset(rid=rid)

    def lost(kw):
        if kw["rid"] == rid and kw["offset"] == 1024 and not asked:
            raise ServerRefused("409", code=ErrorCode.offset_mismatch, current_offset=None)

    upload_calls(server, lost)
    assert agent_for(store, master_data, server, tmp_path).upload_approved().ok
    assert asked == [rid] and bytes(server.blobs[rid]) == body


def test_another_refusal_of_a_chunk_fails_the_packet(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid = packets[0][0]

    def refuse(kw):
        if kw["rid"] == rid:
            raise ServerRefused("nope", code=ErrorCode.forbidden, current_offset=0)

    upload_calls(server, refuse)
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.failed == {rid: "server refused: nope"}


def test_rejections_are_reported_with_their_packet_and_one_refusal_does_not_stop_the_others(
    store, master_data, packets, tmp_path
):
    first, second = packets[0][0], packets[1][0]
    with store.transaction() as conn:
        conn.execute(
            text(
                "UPDATE registrations SET status = 'rejected', supervisor_id = 'sup1' WHERE rid IN (:a, :b)"
            ),
            {"a": first, "b": second},
        )
    server, told = MemoryServer(), {}

    def report_rejected(**kw):
        if kw["rid"] == first:
            raise ServerRefused("not now")
        told[kw["rid"]] = kw

    server.report_rejected = report_rejected
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.failed[first] == "could not report rejection: not now"
    assert report.rejected_reported == [second]
    assert told == {
        second: {
            "rid": second,
            "sha256": shas(store)[second],
            "size": len(packets[1][2]),
            "reason": "",
            "meta": {"supervisor_id": "sup1"},
        }
    }

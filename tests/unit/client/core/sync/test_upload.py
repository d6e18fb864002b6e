"""Upload agent against an in-memory server implementing the transport port: resume, retry, limits, purge."""

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from client.core.registration.receipts import ReceiptNotFound, ReceiptStore, save_receipt
from client.core.settings import ClientSettings
from client.core.sync.outcomes import PacketOutcomes
from client.core.sync.transport import ServerRefused, SyncStopped, TransportError
from client.core.sync.upload import MAX_STALLS, UploadAgent
from shared.sync import ErrorCode, PacketStatus


class MemoryServer:
    """Keeps uploaded bytes per RID; can drop the connection after a number of chunks."""

    def __init__(self):
        self.blobs, self.meta, self.fail_chunks, self.down = {}, {}, 0, False
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        self.rejected = {}
        self.stuck, self.state = set(), {}  # RIDs whose offset never moves; RID -> forced status

    def register_packet(self, *, rid, sha256, size, meta):
        if self.down:
            raise TransportError("connection refused")
        if rid in self.meta and self.meta[rid] != (sha256, size):
            raise ServerRefused("rid registered with another hash")
        self.meta[rid] = (sha256, size)
        return len(self.blobs.setdefault(rid, bytearray()))

    def upload_offset(self, *, rid):
        return len(self.blobs[rid])

    def upload_chunk(self, *, rid, offset, data):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.fail_chunks:
                self.fail_chunks -= 1
                raise TransportError("connection reset")
            if offset != len(self.blobs[rid]):
                held = len(self.blobs[rid])
                raise ServerRefused("409", code=ErrorCode.offset_mismatch, current_offset=held)
            if rid in self.stuck:  # a broken server: answers 204 but never moves the offset
                return offset
            self.blobs[rid].extend(data)
            return len(self.blobs[rid])
        finally:
            with self.lock:
                self.in_flight -= 1

    def packet_statuses(self, *, rids):
        out = []
        for rid in rids:
            sha, _size = self.meta[rid]
            intact = hashlib.sha256(bytes(self.blobs[rid])).hexdigest() == sha
            if rid in self.state:
                out.append(PacketStatus(rid=rid, status=self.state[rid]))
                continue
            out.append(
                PacketStatus(
                    rid=rid,
                    status="processed" if intact else "rejected",
                    uin="1234567890" if intact else None,
                )
            )
        return out

    def report_rejected(self, *, rid, sha256, size, reason, meta):
        self.rejected[rid] = reason


@pytest.fixture
def packets(store, tmp_path):
    rows = []
    with store.transaction() as conn:
        for i in range(4):
            rid = f"100011004200{i + 1:03d}20260601101500"
            body = bytes([i]) * (5000 + i * 1234)
            path = tmp_path / f"{rid}.pkt"
            path.write_bytes(body)
            conn.execute(
                text(
                    "INSERT INTO registrations (rid, status, operator_id, created_at, packet_path, sha256, size) "
                    "VALUES (:r, 'approved', 'op1', 'now', :p, :h, :n)"
                ),
                {"r": rid, "p": str(path), "h": hashlib.sha256(body).hexdigest(), "n": len(body)},
            )
            rows.append((rid, path, body))
    return rows


def agent_for(store, master_data, server, tmp_path, clock=None, **settings):
    options = {
        "upload_chunk_bytes": 1024,
        "backoff_initial_s": 0.001,
        "backoff_max_s": 0.01,
        "upload_parallelism": 2,
        **settings,
    }
    s = ClientSettings(data_dir=tmp_path, **options)
    return UploadAgent(store=store, transport=server, settings=s, clock=clock)


def outcomes_for(store, master_data, server, tmp_path, clock=None):
    s = ClientSettings(data_dir=tmp_path, backoff_initial_s=0.001, backoff_max_s=0.01)
    return PacketOutcomes(store=store, transport=server, settings=s, master_data=master_data, clock=clock)


def statuses(store):
    with store.transaction() as conn:
        return dict(conn.execute(text("SELECT rid, status FROM registrations")).all())


def test_uploads_all_with_bounded_parallelism_and_progress(store, master_data, packets, tmp_path):
    server = MemoryServer()
    seen = []
    report = agent_for(store, master_data, server, tmp_path).upload_approved(progress=seen.append)
    assert report.ok and sorted(report.uploaded) == [p[0] for p in packets]
    assert all(bytes(server.blobs[rid]) == body for rid, _, body in packets)
    assert server.max_in_flight <= 2
    last = seen[-1]
    assert last.packets_done == last.packets_total == 4 and last.bytes_sent == last.bytes_total
    assert set(statuses(store).values()) == {"uploaded"}


def test_network_errors_are_retried_and_resume_from_server_offset(store, master_data, packets, tmp_path):
    server = MemoryServer()
    server.fail_chunks = 3
    report = agent_for(store, master_data, server, tmp_path, upload_parallelism=1).upload_approved()
    assert report.ok
    assert all(bytes(server.blobs[rid]) == body for rid, _, body in packets)


def test_server_unreachable_keeps_packets_for_later(store, master_data, packets, tmp_path):
    server = MemoryServer()
    server.down = True
    agent = agent_for(store, master_data, server, tmp_path, upload_max_attempts=2)
    report = agent.upload_approved()
    assert not report.ok and len(report.failed) == 4 and "unreachable" in next(iter(report.failed.values()))
    assert set(statuses(store).values()) == {"approved"}
    server.down = False
    assert agent.upload_approved().ok and set(statuses(store).values()) == {"uploaded"}


def test_interrupted_upload_resumes_without_duplicating(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid, _, body = packets[0]
    server.meta[rid] = (hashlib.sha256(body).hexdigest(), len(body))
    server.blobs[rid] = bytearray(body[:2048])  # a previous run sent two chunks then died
    with store.transaction() as conn:
        conn.execute(text("UPDATE registrations SET status = 'uploading' WHERE rid = :r"), {"r": rid})
    assert agent_for(store, master_data, server, tmp_path).upload_approved().ok
    assert bytes(server.blobs[rid]) == body


def test_status_poll_and_purge_only_after_processed_and_retention(store, master_data, packets, tmp_path):
    now = [datetime(2026, 6, 1, tzinfo=UTC)]
    server = MemoryServer()
    agent = agent_for(store, master_data, server, tmp_path, clock=lambda: now[0])
    outcomes = outcomes_for(store, master_data, server, tmp_path, clock=lambda: now[0])
    assert outcomes.purge() == []  # nothing processed yet
    agent.upload_approved()
    assert outcomes.purge() == []
    results = outcomes.poll_statuses()
    assert {s.status for s in results} == {"processed"}
    assert outcomes.purge() == []  # processed, but retention (7 days) not over
    now[0] += timedelta(days=8)
    with store.transaction() as conn:
        save_receipt(conn, rid=packets[0][0], pdf=b"%PDF-1.4 receipt", created_at=now[0])
    assert sorted(outcomes.purge()) == [p[0] for p in packets]
    with pytest.raises(ReceiptNotFound):  # the receipt went with its packet
        ReceiptStore(store=store, legacy_dir=tmp_path / "receipts").pdf(rid=packets[0][0])
    assert not any(path.exists() for _, path, _ in packets)
    with store.transaction() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM registrations WHERE uin = '1234567890'")).scalar_one()
            == 4
        )


def test_supervisor_rejections_are_reported_not_uploaded(store, master_data, packets, tmp_path):
    with store.transaction() as conn:
        conn.execute(
            text("UPDATE registrations SET status = 'rejected', review_reason = 'blurred' WHERE rid = :r"),
            {"r": packets[0][0]},
        )
    server = MemoryServer()
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert report.rejected_reported == [packets[0][0]] and server.rejected == {packets[0][0]: "blurred"}
    assert packets[0][0] not in server.blobs
    assert agent_for(store, master_data, server, tmp_path).upload_approved().rejected_reported == []


def test_sent_is_not_uploaded_until_the_server_says_received(store, master_data, packets, tmp_path):
    server = MemoryServer()
    rid = packets[0][0]
    server.state[rid] = "receiving"  # all bytes arrived, but the server has not checked and published them
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert rid in report.failed and "receiving" in report.failed[rid]
    assert statuses(store)[rid] == "uploading" and sorted(report.uploaded) == [p[0] for p in packets[1:]]
    del server.state[rid]
    assert agent_for(store, master_data, server, tmp_path).upload_approved().uploaded == [rid]
    assert statuses(store)[rid] == "uploaded"


def test_a_server_that_never_moves_the_offset_costs_a_bounded_number_of_requests(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid = packets[0][0]
    server.stuck.add(rid)
    calls = []
    real = server.upload_chunk
    server.upload_chunk = lambda **kw: calls.append(kw["rid"]) or real(**kw)
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert rid in report.failed and calls.count(rid) == MAX_STALLS + 1
    assert sorted(report.uploaded) == [p[0] for p in packets[1:]]


def test_a_server_that_keeps_sending_the_offset_back_costs_a_bounded_number_of_requests(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid, _, body = packets[0]
    calls = []
    real = server.upload_chunk

    def see_saw(**kw):  # accepts a chunk, then claims to hold nothing: forward, back, forward, ...
        calls.append(kw["rid"])
        if kw["rid"] == rid and kw["offset"] > 0:
            server.blobs[rid] = bytearray()
        return real(**kw)

    server.upload_chunk = see_saw
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    chunks = -(-len(body) // 1024)
    assert rid in report.failed and calls.count(rid) <= 2 * chunks + 2 * MAX_STALLS
    assert sorted(report.uploaded) == [p[0] for p in packets[1:]]


def test_pausing_stops_the_upload_and_fails_no_packet(store, master_data, packets, tmp_path):
    def pause(_progress):
        raise SyncStopped("sync paused")

    agent = agent_for(store, master_data, MemoryServer(), tmp_path, upload_parallelism=1)
    with pytest.raises(SyncStopped):
        agent.upload_approved(progress=pause)
    with store.transaction() as conn:
        rows = conn.execute(text("SELECT status, last_error, upload_attempts FROM registrations")).all()
    assert rows and all(
        status in ("approved", "uploading") and error is None and attempts == 0
        for status, error, attempts in rows
    )  # resumed by offset on the next round, not counted as failures


def test_a_damaged_packet_the_server_holds_whole_counts_as_uploaded_not_damaged(
    store, master_data, packets, tmp_path
):
    server = MemoryServer()
    rid, path, body = packets[0]
    path.write_bytes(b"x" + body[1:])  # damaged here after it reached the server whole
    server.report_damaged = lambda **kw: PacketStatus(rid=kw["rid"], status="received")
    report = agent_for(store, master_data, server, tmp_path).upload_approved()
    assert rid not in report.quarantined and rid in report.uploaded
    assert statuses(store)[rid] == "uploaded"


def test_a_packet_the_server_forgot_is_sent_again_while_its_file_is_kept(
    store, master_data, packets, tmp_path
):
    """The server was restored from a backup older than the upload: it answers 'unknown' for a packet it
    once confirmed. The kiosk still holds the sealed file, so the packet goes back to the upload queue;
    one whose file is gone stays as it is (nothing to send)."""
    server = MemoryServer()
    agent = agent_for(store, master_data, server, tmp_path)
    outcomes = outcomes_for(store, master_data, server, tmp_path)
    agent.upload_approved()
    (kept, _, body), (gone, gone_path, _) = packets[0], packets[1]
    gone_path.unlink()
    for rid in (kept, gone):
        server.state[rid] = "unknown"
        del server.blobs[rid]
        server.blobs[rid] = bytearray()
    outcomes.poll_statuses()
    assert statuses(store)[kept] == "approved" and statuses(store)[gone] == "uploaded"
    with store.transaction() as conn:
        actions = conn.execute(
            text("SELECT action, details FROM audit_log WHERE action = 'packet.requeued'")
        ).all()
    assert len(actions) == 1 and kept in actions[0][1]
    del server.state[kept]
    agent.upload_approved()
    assert statuses(store)[kept] == "uploaded" and bytes(server.blobs[kept]) == body

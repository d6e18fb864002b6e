"""The sync server's side of the hand-over to processing: intake -> queue, outcome -> packet status."""

import datetime as dt

from sqlalchemy import create_engine, insert, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import PacketRow
from sync_server.processing import queue
from sync_server.processing.pipeline import Outcome, PipelineResult, RetryPolicy
from sync_server.services.packet_handover import ServerPackets, server_packets


def _engine(tmp_path, *, with_packets=True):
    engine = create_engine(f"sqlite:///{tmp_path / 'h.db'}")
    create_backend_tables(engine)
    if with_packets:
        PacketRow.__table__.create(engine)
    return engine


def _received(engine, rid):
    row = dict(rid=rid, machine_id="10001", center_id="10002", sha256="ab" * 32, size=7, status="received")
    with engine.begin() as conn:
        conn.execute(
            insert(PacketRow), [row | {"operator_id": "op1", "registered_at": dt.datetime.now(dt.UTC)}]
        )


def test_no_packets_table_means_no_hand_over(tmp_path):
    assert server_packets(_engine(tmp_path, with_packets=False), blob_dir=tmp_path) is None


def test_received_packets_are_listed_until_queued(tmp_path):
    engine = _engine(tmp_path)
    _received(engine, "R1")
    intake = server_packets(engine, blob_dir=tmp_path / "packets")
    assert isinstance(intake, ServerPackets)
    (packet,) = intake.received_not_queued(limit=10)
    assert (packet.rid, packet.path, packet.size, packet.operator_id) == (
        "R1",
        tmp_path / "packets/R1.age",
        7,
        "op1",
    )
    assert queue.enqueue_received(engine, intake=intake) == 1
    assert queue.job_status(engine, "R1")["info"]["path"] == str(tmp_path / "packets/R1.age")
    assert intake.received_not_queued(limit=10) == []


def test_outcome_is_the_packet_status_in_the_finish_transaction(tmp_path):
    engine = _engine(tmp_path)
    _received(engine, "R1")
    packets = ServerPackets(engine, blob_dir=tmp_path)
    queue.enqueue_received(engine, intake=packets)
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30))
    failed = PipelineResult(outcome=Outcome.FAILED, stage="uin", reason_code="stage_failed", reason_text="x")
    assert queue.finish(engine, claim, failed, policy=RetryPolicy(), uin="123", outcomes=packets) == "retry"
    with engine.connect() as conn:
        row = conn.execute(select(PacketRow.status, PacketRow.uin, PacketRow.reason_code)).one()
    assert tuple(row) == ("processing", None, "stage_failed")  # not final yet: the kiosk keeps waiting

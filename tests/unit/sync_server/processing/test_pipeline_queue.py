"""Stage pipeline and DB queue on a real (file) SQLite database."""

import datetime as dt

import pytest
from sqlalchemy import create_engine, select

from sync_server.processing import queue
from sync_server.processing.pipeline import (
    Outcome,
    PacketContext,
    Pipeline,
    Rejection,
    RetryPolicy,
)
from sync_server.processing.tables import metadata, stage_records


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'q.db'}")
    metadata.create_all(engine)  # throwaway test DB; production uses the Alembic revision
    return engine


class Step:
    def __init__(self, name, action=None):
        self.name, self.action, self.calls = name, action, 0

    def run(self, context):
        self.calls += 1
        context.values[self.name] = self.calls
        if self.action:
            self.action(context)


class FlakyHook:
    name = "functional-id-lookup"

    def __init__(self, failures):
        self.failures = failures

    def __call__(self, *, stage, context):
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("legacy ID system unreachable")


def test_stages_run_in_order_and_each_is_recorded(engine):
    records = []
    pipeline = Pipeline([Step("verify"), Step("decrypt"), Step("uin")], record=records.append)
    result = pipeline.run(PacketContext("R1"))
    assert result.outcome is Outcome.PASSED
    assert [r.stage for r in records] == ["verify", "decrypt", "uin"]
    assert all(r.outcome is Outcome.PASSED and r.ended_at >= r.started_at for r in records)


def test_rejection_stops_the_pipeline_with_reason(engine):
    def tampered(_context):
        raise Rejection("tampered", "manifest signature does not verify")

    later = Step("decrypt")
    records = []
    result = Pipeline([Step("verify", tampered), later], record=records.append).run(PacketContext("R1"))
    assert (result.outcome, result.stage, result.reason_code) == (Outcome.REJECTED, "verify", "tampered")
    assert later.calls == 0 and records[-1].outcome is Outcome.REJECTED


def test_failing_hook_fails_the_stage_not_the_packet_then_retry_succeeds(engine):
    hook = FlakyHook(failures=1)
    pipeline = Pipeline(
        [Step("verify"), Step("validate"), Step("uin")],
        hooks={"validate": [hook]},
        record=lambda r: queue.record_stage(engine, r),
    )
    policy = RetryPolicy(max_attempts=3, base_seconds=0)
    assert queue.enqueue(engine, rid="R1") and not queue.enqueue(engine, rid="R1")

    claim = queue.claim_next(engine, worker_id="w1", lease=dt.timedelta(seconds=30))
    first = pipeline.run(PacketContext(claim.rid), attempt=claim.attempt)
    assert (first.outcome, first.stage) == (Outcome.FAILED, "validate")
    assert "legacy ID system unreachable" in first.reason_text
    assert queue.finish(engine, claim, first, policy=policy) == "retry"

    claim = queue.claim_next(engine, worker_id="w1", lease=dt.timedelta(seconds=30))
    assert claim.attempt == 2
    second = pipeline.run(PacketContext(claim.rid), attempt=claim.attempt)
    assert queue.finish(engine, claim, second, policy=policy, uin="2363000000") == "processed"
    state = queue.job_status(engine, "R1")
    assert state["status"] == "processed" and state["uin"] == "2363000000"
    with engine.connect() as conn:
        history = conn.execute(
            select(stage_records.c.stage, stage_records.c.attempt, stage_records.c.outcome)
        ).all()
    assert ("validate", 1, "failed") in history and ("uin", 2, "passed") in history


def test_backoff_grows_and_gives_up_into_failed_then_admin_reprocess(engine):
    policy = RetryPolicy(max_attempts=2, base_seconds=10)
    assert policy.delay(1) < policy.delay(2) < policy.delay(3)
    queue.enqueue(engine, rid="R2")
    failing = Pipeline([Step("verify", lambda c: 1 / 0)])
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30))
    assert queue.finish(engine, claim, failing.run(PacketContext("R2")), policy=policy) == "retry"
    # Not due yet: backoff keeps it out of the queue.
    assert queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30)) is None
    assert queue.reprocess(engine, rid="R2") == 1
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30))
    assert claim.attempt == 1
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30)) or claim
    policy_now = RetryPolicy(max_attempts=1)
    assert queue.finish(engine, claim, failing.run(PacketContext("R2")), policy=policy_now) == "failed"
    assert queue.job_status(engine, "R2")["reason_code"] == "stage_failed"
    assert queue.reprocess(engine, status="failed") == 1


def test_expired_lease_is_reclaimed_and_the_stale_worker_cannot_finish(engine):
    queue.enqueue(engine, rid="R3")
    dead = queue.claim_next(engine, worker_id="dead", lease=dt.timedelta(seconds=-1))
    alive = queue.claim_next(engine, worker_id="alive", lease=dt.timedelta(seconds=30))
    assert alive is not None and alive.rid == "R3" and alive.token != dead.token
    result = Pipeline([Step("verify")]).run(PacketContext("R3"))
    assert queue.finish(engine, dead, result, policy=RetryPolicy()) == ""
    assert queue.finish(engine, alive, result, policy=RetryPolicy(), uin="x") == "processed"
    assert queue.claim_next(engine, worker_id="other", lease=dt.timedelta(seconds=30)) is None


def test_concurrent_workers_on_sqlite_claim_each_packet_once(tmp_path):
    """The claim is one UPDATE ... RETURNING: under the server's own engine (WAL, busy timeout),
    eight threads draining forty packets never take one twice nor leave one behind."""
    import threading

    from sync_server.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    metadata.create_all(engine)
    rids = [f"R{n:02d}" for n in range(40)]
    for rid in rids:
        queue.enqueue(engine, rid=rid)
    taken: list[str] = []
    lock = threading.Lock()

    def drain(worker: str) -> None:
        while claim := queue.claim_next(engine, worker_id=worker, lease=dt.timedelta(seconds=30)):
            with lock:
                taken.append(claim.rid)

    threads = [threading.Thread(target=drain, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == rids
    with engine.connect() as conn:
        rows = conn.execute(select(queue.processing_jobs.c.status, queue.processing_jobs.c.attempts)).all()
    assert {tuple(r) for r in rows} == {("running", 1)}


def test_queue_row_carries_the_received_packet(engine, tmp_path):
    from sync_server.processing.ports import QueueReceivedPackets

    queue.enqueue(engine, rid="R5", info={"path": str(tmp_path / "R5.age"), "sha256": "ab" * 32, "size": 7})
    packets = QueueReceivedPackets(engine)
    assert packets.blob_path("R5") == tmp_path / "R5.age"
    assert packets.registered("R5") == ("ab" * 32, 7)
    with pytest.raises(LookupError):
        packets.registered("nope")


def test_processing_status_in_wire_shape(engine):
    from shared.sync.models import PacketState
    from sync_server.processing.status import processing_status

    assert processing_status(engine, "R7") is None
    queue.enqueue(engine, rid="R7")
    assert processing_status(engine, "R7").status is PacketState.processing
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30))
    rejected = Pipeline(
        [Step("dedupe", lambda c: (_ for _ in ()).throw(Rejection("duplicate", "duplicate of UIN 1")))]
    )
    queue.finish(engine, claim, rejected.run(PacketContext("R7")), policy=RetryPolicy())
    status = processing_status(engine, "R7")
    assert (status.status, status.reason_code, status.reason, status.uin) == (
        PacketState.rejected,
        "duplicate",
        "duplicate of UIN 1",
        None,
    )
    queue.enqueue(engine, rid="R8")
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=30))
    queue.finish(
        engine, claim, Pipeline([Step("verify")]).run(PacketContext("R8")), policy=RetryPolicy(), uin="42"
    )
    assert processing_status(engine, "R8").model_dump(exclude_none=True) == {
        "rid": "R8",
        "status": "processed",
        "uin": "42",
    }

"""The database is the queue: claim, finish and reprocess packets in ``processing_jobs``.

Claiming is a compare-and-set on ``claim_token``: pick a due row, then update it only if its token
is still the one we read. On PostgreSQL the pick uses ``FOR UPDATE SKIP LOCKED`` so concurrent
workers skip each other's rows instead of queueing on them; on SQLite the database-wide write lock
plus the compare-and-set make a single (or a few) worker(s) safe. A claim holds a short lease
(seconds) that the worker renews (``renew_lease``) while its stages run; a worker that dies stops
renewing, its lease expires within seconds and the row becomes claimable again. Finishing also
checks the token, so a late, presumed-dead worker cannot overwrite the new owner's result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Update,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from sync_server.db.engine import single_statements
from sync_server.processing.pipeline import Outcome, PipelineResult, RetryPolicy, StageRecord
from sync_server.processing.ports import PacketIntake, PacketOutcomes
from sync_server.processing.tables import processing_jobs, stage_records
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

DUE_STATUSES = ("queued", "retry")
UNFINISHED_STATUSES = ("queued", "running", "retry", "failed", "held")
# Short, because a killed worker's packet waits this long; a running worker renews it (worker.py).
DEFAULT_LEASE = dt.timedelta(seconds=10)
# A packet waiting for the ABIS runs again after this even if no answer woke it (a lost wake-up).
ABIS_RECHECK = dt.timedelta(seconds=15)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything here is UTC.
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class Claim:
    rid: str
    token: str
    attempt: int


def enqueue(engine: Engine, *, rid: str, info: dict[str, Any] | None = None) -> bool:
    """Queue a received packet once; a second call for the same RID is a no-op (returns False)."""
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(processing_jobs).values(
                    rid=rid,
                    status="queued",
                    attempts=0,
                    next_attempt_at=now,
                    enqueued_at=now,
                    info=info or {},
                )
            )
        return True
    except IntegrityError:
        return False


def _claim_statement() -> Update:
    """Claim one due row, as one statement (on PostgreSQL one round trip instead of BEGIN, SELECT,
    UPDATE, COMMIT). On PostgreSQL the subquery locks one due row with ``FOR UPDATE SKIP LOCKED``
    (concurrent workers skip it); SQLite has no row locks and needs none: a write statement takes the
    database's one write lock before it reads. The new token guards ``finish`` against a worker whose
    lease expired. Bound by name: now, token, worker_id, lease_until."""
    jobs, now = processing_jobs.c, bindparam("now")
    due = or_(
        and_(jobs.status.in_(DUE_STATUSES), jobs.next_attempt_at <= now),
        and_(jobs.status == "running", jobs.lease_until < now),
        # waiting for the ABIS: resumed when it answers, and looked at again now and then anyway
        and_(jobs.status == "held", jobs.reason_code == "abis_pending", jobs.next_attempt_at <= now),
    )
    pick = (
        select(jobs.rid)
        .where(due)
        .order_by(jobs.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(processing_jobs)
        .where(jobs.rid == pick)
        .values(
            status="running",
            claim_token=bindparam("token"),
            claimed_by=bindparam("worker_id"),
            lease_until=bindparam("lease_until"),
            attempts=jobs.attempts + 1,
        )
        .returning(jobs.rid, jobs.attempts)
    )


# Built once: a worker claims before every packet, and building the statement cost more than
# running it.
_CLAIM = _claim_statement()


def claim_next(engine: Engine, *, worker_id: str, lease: dt.timedelta) -> Claim | None:
    """Claim one due packet (queued, retry due, or running with an expired lease), or None."""
    now, token = utcnow(), uuid.uuid4().hex
    params = {"now": now, "token": token, "worker_id": worker_id, "lease_until": now + lease}
    with single_statements(engine).begin() as conn:
        row = conn.execute(_CLAIM, params).first()
    return None if row is None else Claim(rid=row.rid, token=token, attempt=row.attempts)


def renew_lease(engine: Engine, claim: Claim, *, lease: dt.timedelta) -> bool:
    """Push the claim's lease ``lease`` past now; False if the claim is no longer ours."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(processing_jobs)
            .where(
                processing_jobs.c.rid == claim.rid,
                processing_jobs.c.claim_token == claim.token,
                processing_jobs.c.status == "running",
            )
            .values(lease_until=utcnow() + lease)
        ).rowcount
    return changed == 1


def _record_row(record: StageRecord) -> dict[str, Any]:
    return {
        "rid": record.rid,
        "stage": record.stage,
        "attempt": record.attempt,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "outcome": str(record.outcome),
        "detail": record.detail[:4000],
    }


# Built once, like _CLAIM; the columns finish sets come as parameters (they vary with the outcome).
_FINISH = update(processing_jobs).where(
    processing_jobs.c.rid == bindparam("job_rid"), processing_jobs.c.claim_token == bindparam("job_token")
)
_ADD_RECORDS = insert(stage_records)


def record_stage(engine: Engine, record: StageRecord) -> None:
    """Persist one stage attempt (time and outcome) in the history right away."""
    with engine.begin() as conn:
        conn.execute(_ADD_RECORDS, _record_row(record))


def finish(
    engine: Engine,
    claim: Claim,
    result: PipelineResult,
    *,
    policy: RetryPolicy,
    uin: str | None = None,
    facts: dict[str, Any] | None = None,
    records: list[StageRecord] | None = None,
    outcomes: PacketOutcomes | None = None,
    also: Callable[[Connection, str], None] | None = None,
) -> str:
    """Store the outcome (and this attempt's stage records, in the same transaction) if we still own
    the claim; returns the new status ('' if the claim was lost; the records are then kept anyway).
    ``outcomes`` (the sync server's packet status) is written in the same transaction, and so is
    whatever ``also(conn, status)`` writes (the resident's notifications)."""
    now = utcnow()
    values: dict[str, Any] = {
        "stage": result.stage,
        "claim_token": None,
        "lease_until": None,
        **(facts or {}),
    }
    if result.outcome is Outcome.PASSED:
        values |= {"status": "processed", "uin": uin, "reason_code": None, "reason_text": None}
        values |= {"finished_at": now, "stage": "processed"}
    elif result.outcome is Outcome.HELD:  # waits for an answer; ``resume`` makes it due again
        values |= {"status": "held", "reason_code": result.reason_code, "reason_text": result.reason_text}
        values |= {"next_attempt_at": now + ABIS_RECHECK}
    elif result.outcome is Outcome.REJECTED:
        values |= {"status": "rejected", "reason_code": result.reason_code, "reason_text": result.reason_text}
        values |= {"finished_at": now}
    else:
        status = "failed" if policy.gives_up(claim.attempt) else "retry"
        values |= {"status": status, "reason_code": result.reason_code, "reason_text": result.reason_text}
        values |= {"next_attempt_at": now + policy.delay(claim.attempt)}
    with engine.begin() as conn:
        changed = conn.execute(_FINISH, {"job_rid": claim.rid, "job_token": claim.token, **values}).rowcount
        if records:
            conn.execute(_ADD_RECORDS, [_record_row(r) for r in records])
        if outcomes is not None and changed == 1:
            # The status endpoint reads the server's packet row: keep it in step in this transaction,
            # whichever worker process finished the packet.
            outcomes.record_outcome(
                conn,
                rid=claim.rid,
                status=str(values["status"]),
                uin=uin,
                reason_code=result.reason_code,
                reason=result.reason_text,
            )
        if also is not None and changed == 1:
            also(conn, str(values["status"]))
    return str(values["status"]) if changed == 1 else ""


def enqueue_received(engine: Engine, *, intake: PacketIntake, limit: int = 500) -> int:
    """Queue every fully received packet ``intake`` lists that is not queued yet; returns how many.

    The server's ``received`` row is the durable hand-over: whether or not the intake code also calls
    ``enqueue``, a crash between upload and queueing cannot lose a packet, because workers sweep.
    """
    added = 0
    for packet in intake.received_not_queued(limit=limit):
        info = {"path": str(packet.path), "sha256": packet.sha256, "size": packet.size}
        if enqueue(engine, rid=packet.rid, info=info):
            with engine.begin() as conn:
                conn.execute(
                    update(processing_jobs)
                    .where(processing_jobs.c.rid == packet.rid)
                    .values(
                        center_id=packet.center_id,
                        machine_id=packet.machine_id,
                        operator_id=packet.operator_id,
                    )
                )
            added += 1
    return added


def reprocess(
    engine: Engine, *, rid: str | None = None, status: str | None = "failed", actor: str | None = None
) -> int:
    """Admin: put packets (one RID, or all with ``status``) back in the queue now; returns how many.
    With ``actor``, a ``packets.reprocess`` audit entry commits with the change (when any)."""
    condition = processing_jobs.c.rid == rid if rid else processing_jobs.c.status == status
    with engine.begin() as conn:
        count = conn.execute(
            update(processing_jobs)
            .where(condition, processing_jobs.c.status != "running")
            .values(status="queued", attempts=0, next_attempt_at=utcnow(), claim_token=None)
        ).rowcount
        if actor is not None and count:
            append_audit(
                conn,
                actor=actor,
                action="packets.reprocess",
                target=rid,
                details={"rid": rid, "status": None if rid else status, "count": count},
            )
        return count


def resume(conn: Connection, *, rid: str, reason_codes: tuple[str, ...] | None = None) -> bool:
    """Make a held packet due now (on ``conn``, in the caller's transaction, with the answer it waited
    for); only when it holds for one of ``reason_codes`` if given. False if it was not held so."""
    condition = [processing_jobs.c.rid == rid, processing_jobs.c.status == "held"]
    if reason_codes is not None:
        condition.append(processing_jobs.c.reason_code.in_(reason_codes))
    return (
        conn.execute(
            update(processing_jobs)
            .where(*condition)
            .values(status="queued", attempts=0, next_attempt_at=utcnow(), claim_token=None)
        ).rowcount
        == 1
    )


def hold(conn: Connection, *, rid: str, reason_code: str, reason_text: str) -> bool:
    """Hold a packet that is not running and not final (an admin asks for more information); False
    if it is running, processed or rejected."""
    return (
        conn.execute(
            update(processing_jobs)
            .where(
                processing_jobs.c.rid == rid,
                processing_jobs.c.status.in_(("queued", "retry", "failed", "held")),
            )
            .values(status="held", reason_code=reason_code, reason_text=reason_text, claim_token=None)
        ).rowcount
        == 1
    )


def job_status(engine: Engine, rid: str) -> dict[str, Any] | None:
    """The processing state of one packet as the status endpoint reports it."""
    with engine.connect() as conn:
        return job_state(conn, rid)


def job_state(conn: Connection, rid: str) -> dict[str, Any] | None:
    """:func:`job_status` on an open connection: the queue row, its times timezone-aware."""
    row = conn.execute(select(processing_jobs).where(processing_jobs.c.rid == rid)).mappings().first()
    if row is None:
        return None
    state = dict(row)
    for key in ("next_attempt_at", "lease_until", "enqueued_at", "finished_at"):
        state[key] = aware(state[key])
    return state

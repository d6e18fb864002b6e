"""Machine enrolment and the admin decision on it."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.signing import SignatureError, public_key_from_b64
from shared.sync import EnrolRequest, ErrorCode, MachinePublic, MachineStatus
from sync_server.db.tables import CurrentRow, MachineRow
from sync_server.services.audit import append_audit
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import BadInput, Busy, Conflict, NotFound, RateLimited
from sync_server.services.masterdata import append_changes

FIRST_MACHINE_ID = 10001
LAST_MACHINE_ID = 99999
# Kiosks poll for changes often; the sync-lag report counts in hours. One write per machine per
# interval keeps a busy poll loop from turning every read into a write on the database.
SYNC_MARK_INTERVAL = dt.timedelta(seconds=60)


def to_public(row: MachineRow) -> MachinePublic:
    return MachinePublic(
        machine_id=row.machine_id,
        center_id=row.center_id,
        name=row.name,
        public_key=row.public_key,
        status=MachineStatus(row.status),
        # SQLite hands datetimes back naive; they are UTC, and the wire says so.
        created_at=aware(row.created_at),
        decided_at=aware(row.decided_at) if row.decided_at else None,
        last_masterdata_sync_at=aware(row.last_masterdata_sync_at) if row.last_masterdata_sync_at else None,
    )


@dataclass(frozen=True)
class EnrolmentLimits:
    """Caps on enrolments nobody has decided on yet, so anonymous floods cannot exhaust the id space."""

    per_address: int
    total: int
    pending_ttl: dt.timedelta


# Concurrent enrolments may pick the same next id; the loser retries (the unique key decides).
_ALLOCATION_ATTEMPTS = 20


def enrol_machine(
    session: Session,
    *,
    request: EnrolRequest,
    auto_approve: bool,
    address: str,
    limits: EnrolmentLimits,
    admit_new: Callable[[], None] = lambda: None,
) -> MachineRow:
    """Create (or return, for the same key) the machine's enrolment. Idempotent per public key.

    Asking again with a known key is free (kiosks poll while they wait); a new enrolment first passes
    ``admit_new`` (the per-address rate limit; it raises to refuse) and the pending caps. Pending
    enrolments older than ``limits.pending_ttl`` are deleted here, freeing their place and id. Each
    attempt is one transaction in ``session`` (which has none open); the row comes back detached."""
    try:
        public_key_from_b64(request.public_key)
    except SignatureError as exc:
        raise BadInput(ErrorCode.validation_error, f"public_key: {exc}") from exc
    admitted = False
    for attempt in range(_ALLOCATION_ATTEMPTS):
        try:
            with session.begin():
                # A write first: on SQLite it takes the write lock, so the rest of the transaction
                # (lookups, caps, next id) sees the newest state and enrolments run one at a time.
                expire_pending(session, older_than=utcnow() - limits.pending_ttl)
                existing = session.scalar(
                    select(MachineRow).where(MachineRow.public_key == request.public_key)
                )
                if existing is not None:
                    if existing.center_id != request.center_id:
                        raise Conflict(
                            ErrorCode.key_conflict,
                            "this machine key is already enrolled for another center",
                        )
                    return _detached(session, existing)
                if not admitted:
                    admit_new()
                    admitted = True
                if session.get(CurrentRow, ("centers", request.center_id)) is None:
                    raise BadInput(ErrorCode.center_unknown, f"center {request.center_id} is not known")
                _check_pending_caps(session, address=address, limits=limits)
                row = MachineRow(
                    machine_id=_next_machine_id(session),
                    public_key=request.public_key,
                    center_id=request.center_id,
                    name=request.name,
                    status=MachineStatus.pending.value,
                    created_at=utcnow(),
                    enrol_address=address[:64],
                )
                session.add(row)
                session.flush()
                if auto_approve:
                    decide_machine(
                        session, machine_id=row.machine_id, approve=True, actor="system:demo-auto-approve"
                    )
                return _detached(session, row)
        except IntegrityError:
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    raise Busy(ErrorCode.rate_limited, "too many enrolments at once; retry", retry_after=1)


def _detached(session: Session, row: MachineRow) -> MachineRow:
    """``row`` as written (flushed), no longer tied to ``session``: the caller reads it after the commit."""
    session.flush()
    session.expunge(row)
    return row


def expire_pending(session: Session, *, older_than: dt.datetime) -> int:
    """Delete pending enrolments nobody decided on since ``older_than``; return how many."""
    result = session.execute(
        delete(MachineRow).where(
            MachineRow.status == MachineStatus.pending.value, MachineRow.created_at < older_than
        )
    )
    return result.rowcount or 0


def _check_pending_caps(session: Session, *, address: str, limits: EnrolmentLimits) -> None:
    pending = (
        select(func.count()).select_from(MachineRow).where(MachineRow.status == MachineStatus.pending.value)
    )
    if session.scalar(pending.where(MachineRow.enrol_address == address[:64])) >= limits.per_address:
        raise RateLimited(
            ErrorCode.enrolment_limit,
            f"{limits.per_address} enrolments from this address already wait for an administrator; "
            "ask one to approve or reject them",
            retry_after=3600,
        )
    if session.scalar(pending) >= limits.total:
        raise RateLimited(
            ErrorCode.enrolment_limit,
            "too many enrolments wait for an administrator; ask one to approve or reject them",
            retry_after=3600,
        )


def _next_machine_id(session: Session) -> str:
    """One above the highest id; once that runs past 99999, the lowest free id (expired pending
    enrolments leave holes). A concurrent enrolment may take the same id: the insert then fails."""
    highest = session.scalar(select(func.max(MachineRow.machine_id)))
    candidate = int(highest) + 1 if highest else FIRST_MACHINE_ID
    if candidate <= LAST_MACHINE_ID:
        return f"{candidate:05d}"
    taken = {int(i) for i in session.scalars(select(MachineRow.machine_id))}
    for number in range(FIRST_MACHINE_ID, LAST_MACHINE_ID + 1):
        if number not in taken:
            return f"{number:05d}"
    raise Conflict(ErrorCode.enrolment_limit, "no machine ids left")


def decide_machine(
    session: Session, *, machine_id: str, approve: bool, actor: str, reason: str | None = None
) -> MachineRow:
    """Approve, reject, or (approve=False on an approved machine) revoke. Approved machines are published
    as ``machines`` master data so kiosks and processing know them. ``actor`` and ``reason`` (optional,
    for people) go to the audit log, in the same transaction as the decision."""
    row = session.get(MachineRow, machine_id, with_for_update=True)
    if row is None:
        raise NotFound(ErrorCode.machine_unknown, f"machine {machine_id} is not known")
    previous = row.status
    if approve:
        row.status = MachineStatus.approved.value
    else:
        row.status = (
            MachineStatus.revoked.value
            if row.status == MachineStatus.approved.value
            else MachineStatus.rejected.value
        )
    row.decided_at = utcnow()
    append_changes(
        session,
        upserts=[
            (
                "machines",
                {
                    "id": row.machine_id,
                    "center_id": row.center_id,
                    "name": row.name,
                    "public_key": row.public_key,
                    "active": approve,
                },
            )
        ],
        deletes=[],
    )
    action = {"approved": "approve", "rejected": "reject", "revoked": "revoke"}[row.status]
    append_audit(
        session,
        actor=actor,
        action=f"machine.{action}",
        target=row.machine_id,
        details={
            "from": previous,
            "to": row.status,
            "center_id": row.center_id,
            **({"reason": reason} if reason else {}),
        },
    )
    return row


def list_machines(
    session: Session, *, status: str | None = None, centers: Collection[str] | None = None
) -> list[MachineRow]:
    """Machines by id, optionally in one status and within ``centers`` (None: every center)."""
    query = select(MachineRow).order_by(MachineRow.machine_id)
    if centers is not None:
        query = query.where(MachineRow.center_id.in_(sorted(centers)))
    if status:
        query = query.where(MachineRow.status == status)
    return list(session.scalars(query))


def record_masterdata_sync(
    engine: Engine,
    *,
    machine_id: str,
    at: dt.datetime,
    marks: dict[str, dt.datetime] | None = None,
    interval: dt.timedelta = SYNC_MARK_INTERVAL,
    software_version: str | None = None,
) -> bool:
    """Note that ``machine_id`` held all master data of its scope as of ``at``.

    Called when a changes page answers ``complete=true``: that is the moment the machine is up to date,
    so "last master-data sync" means "last time the machine caught up", not merely "last asked". A
    snapshot alone does not count: the kiosk follows it with deltas, which end in a complete page.
    ``marks`` (machine id -> last write by this process) throttles writes to one per ``interval``
    (default ``SYNC_MARK_INTERVAL``); returns True when the row was written. The mark is set only
    after the write committed, so a failed write (raised to the caller) is retried on the next call.
    ``software_version`` (the kiosk's, from its User-Agent) is stored with the mark when given.
    """
    if marks is not None:
        previous = marks.get(machine_id)
        if previous is not None and at - previous < interval:
            return False
    with Session(engine) as session, session.begin():
        session.execute(
            update(MachineRow)
            .where(MachineRow.machine_id == machine_id)
            .values(
                last_masterdata_sync_at=at,
                **({"software_version": software_version} if software_version else {}),
            )
        )
    if marks is not None:
        marks[machine_id] = at
    return True

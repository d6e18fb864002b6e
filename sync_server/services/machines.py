"""Machine enrolment and the admin decision on it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from shared.signing import SignatureError, public_key_from_b64
from shared.sync import EnrolRequest, ErrorCode, MachinePublic, MachineStatus
from sync_server.db.tables import CurrentRow, MachineRow
from sync_server.errors import ApiError
from sync_server.services.audit import append_audit
from sync_server.services.clock import aware, utcnow
from sync_server.services.masterdata import append_changes

FIRST_MACHINE_ID = 10001
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


def enrol_machine(session: Session, *, request: EnrolRequest, auto_approve: bool) -> MachineRow:
    """Create (or return, for the same key) the machine's enrolment. Idempotent per public key."""
    try:
        public_key_from_b64(request.public_key)
    except SignatureError as exc:
        raise ApiError(422, ErrorCode.validation_error, f"public_key: {exc}") from exc
    existing = session.scalar(select(MachineRow).where(MachineRow.public_key == request.public_key))
    if existing is not None:
        if existing.center_id != request.center_id:
            raise ApiError(
                409, ErrorCode.key_conflict, "this machine key is already enrolled for another center"
            )
        return existing
    center = session.get(CurrentRow, ("centers", request.center_id))
    if center is None:
        raise ApiError(422, ErrorCode.center_unknown, f"center {request.center_id} is not known")
    highest = session.scalar(select(func.max(MachineRow.machine_id)))
    machine_id = f"{(int(highest) + 1) if highest else FIRST_MACHINE_ID:05d}"
    if int(machine_id) > 99999:
        raise ApiError(409, ErrorCode.validation_error, "no machine ids left")
    row = MachineRow(
        machine_id=machine_id,
        public_key=request.public_key,
        center_id=request.center_id,
        name=request.name,
        status=MachineStatus.pending.value,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if auto_approve:
        decide_machine(session, machine_id=machine_id, approve=True, actor="system:demo-auto-approve")
    return row


def decide_machine(session: Session, *, machine_id: str, approve: bool, actor: str) -> MachineRow:
    """Approve, reject, or (approve=False on an approved machine) revoke. Approved machines are published
    as ``machines`` master data so kiosks and processing know them. ``actor`` goes to the audit log,
    in the same transaction as the decision."""
    row = session.get(MachineRow, machine_id, with_for_update=True)
    if row is None:
        raise ApiError(404, ErrorCode.machine_unknown, f"machine {machine_id} is not known")
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
        details={"from": previous, "to": row.status, "center_id": row.center_id},
    )
    return row


def list_machines(session: Session, *, status: str | None = None) -> list[MachineRow]:
    query = select(MachineRow).order_by(MachineRow.machine_id)
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
) -> bool:
    """Note that ``machine_id`` held all master data of its scope as of ``at``.

    Called when a changes page answers ``complete=true``: that is the moment the machine is up to date,
    so "last master-data sync" means "last time the machine caught up", not merely "last asked". A
    snapshot alone does not count: the kiosk follows it with deltas, which end in a complete page.
    ``marks`` (machine id -> last write by this process) throttles writes to one per ``interval``
    (default ``SYNC_MARK_INTERVAL``); returns True when the row was written. The mark is set only
    after the write committed, so a failed write (raised to the caller) is retried on the next call.
    """
    if marks is not None:
        previous = marks.get(machine_id)
        if previous is not None and at - previous < interval:
            return False
    with Session(engine) as session, session.begin():
        session.execute(
            update(MachineRow).where(MachineRow.machine_id == machine_id).values(last_masterdata_sync_at=at)
        )
    if marks is not None:
        marks[machine_id] = at
    return True

"""Machine enrolment and the admin decision on it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.signing import SignatureError, public_key_from_b64
from shared.sync import EnrolRequest, ErrorCode, MachinePublic, MachineStatus
from sync_server.db.tables import CurrentRow, MachineRow
from sync_server.errors import ApiError
from sync_server.services.clock import utcnow
from sync_server.services.masterdata import append_changes

FIRST_MACHINE_ID = 10001


def to_public(row: MachineRow) -> MachinePublic:
    return MachinePublic(
        machine_id=row.machine_id,
        center_id=row.center_id,
        name=row.name,
        public_key=row.public_key,
        status=MachineStatus(row.status),
        created_at=row.created_at,
        decided_at=row.decided_at,
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
        decide_machine(session, machine_id=machine_id, approve=True)
    return row


def decide_machine(session: Session, *, machine_id: str, approve: bool) -> MachineRow:
    """Approve, reject, or (approve=False on an approved machine) revoke. Approved machines are published
    as ``machines`` master data so kiosks and processing know them."""
    row = session.get(MachineRow, machine_id, with_for_update=True)
    if row is None:
        raise ApiError(404, ErrorCode.machine_unknown, f"machine {machine_id} is not known")
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
    return row


def list_machines(session: Session, *, status: str | None = None) -> list[MachineRow]:
    query = select(MachineRow).order_by(MachineRow.machine_id)
    if status:
        query = query.where(MachineRow.status == status)
    return list(session.scalars(query))

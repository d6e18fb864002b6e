"""The machines page of the console and the scoped admin API decisions: list machines with their last
master-data sync and last upload, and approve / reject / revoke one within the caller's centers.

``centers`` is the caller's center scope (None: every center; see services.roles.center_scope). A
machine outside it is reported as unknown (NotFound), never as forbidden, so its existence stays hidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.sync import ErrorCode, MachineStatus
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.services import machines
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import Conflict, NotFound

# A kiosk that has not caught up or uploaded for this long is shown as late.
STALE_AFTER = dt.timedelta(hours=48)
PAGE_SIZE = 50
MAX_REASON = 500
ACTIONS = ("approve", "reject", "revoke")
# which status each action starts from
_FROM = {
    "approve": MachineStatus.pending.value,
    "reject": MachineStatus.pending.value,
    "revoke": MachineStatus.approved.value,
}


@dataclass(frozen=True)
class MachineFilter:
    status: str | None = None
    center_id: str | None = None
    text: str | None = None  # part of the machine id or name
    page: int = 1


@dataclass(frozen=True)
class MachineLine:
    """One machine as the page shows it."""

    machine_id: str
    name: str
    center_id: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    last_sync_at: dt.datetime | None
    last_upload_at: dt.datetime | None
    sync_late: bool
    upload_late: bool
    software_version: str | None = None  # as its User-Agent named it at its last master-data sync


@dataclass(frozen=True)
class MachineListing:
    pending: list[MachineLine]
    machines: list[MachineLine]
    total: int
    page: int
    pages: int
    centers: list[str]  # the centers the caller may filter on


def _scoped(query, centers: Collection[str] | None):
    return query if centers is None else query.where(MachineRow.center_id.in_(sorted(centers)))


def list_for_console(
    session: Session,
    *,
    centers: Collection[str] | None,
    where: MachineFilter,
    page_size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> MachineListing:
    """The pending enrolments (all, oldest first) and one page of the filtered machines."""
    now = now or utcnow()
    pending = list(
        session.scalars(
            _scoped(select(MachineRow), centers)
            .where(MachineRow.status == MachineStatus.pending.value)
            .order_by(MachineRow.created_at)
            .limit(200)
        )
    )
    query = _scoped(select(MachineRow), centers)
    if where.status:
        query = query.where(MachineRow.status == where.status)
    if where.center_id:
        query = query.where(MachineRow.center_id == where.center_id)
    if where.text:
        needle = f"%{where.text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(MachineRow.machine_id.like(needle), MachineRow.name.ilike(needle)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, where.page), pages)
    rows = list(
        session.scalars(query.order_by(MachineRow.machine_id).offset((page - 1) * page_size).limit(page_size))
    )
    uploads = last_uploads(session, [r.machine_id for r in [*pending, *rows]])
    center_ids = session.scalars(
        _scoped(select(MachineRow.center_id).distinct(), centers).order_by(MachineRow.center_id)
    )
    return MachineListing(
        pending=[_line(r, uploads, now) for r in pending],
        machines=[_line(r, uploads, now) for r in rows],
        total=total,
        page=page,
        pages=pages,
        centers=list(center_ids),
    )


def last_uploads(session: Session, machine_ids: list[str]) -> dict[str, dt.datetime]:
    """When each of ``machine_ids`` last delivered a packet (machines that never did are absent)."""
    if not machine_ids:
        return {}
    query = (
        select(PacketRow.machine_id, func.max(PacketRow.received_at))
        .where(PacketRow.machine_id.in_(machine_ids))
        .group_by(PacketRow.machine_id)
    )
    return {m: aware(at) for m, at in session.execute(query) if at is not None}


def _late(at: dt.datetime | None, status: str, now: dt.datetime) -> bool:
    return status == MachineStatus.approved.value and (at is None or now - at > STALE_AFTER)


def _line(row: MachineRow, uploads: dict[str, dt.datetime], now: dt.datetime) -> MachineLine:
    synced = aware(row.last_masterdata_sync_at) if row.last_masterdata_sync_at else None
    uploaded = uploads.get(row.machine_id)
    return MachineLine(
        machine_id=row.machine_id,
        name=row.name,
        center_id=row.center_id,
        status=row.status,
        created_at=aware(row.created_at),
        decided_at=aware(row.decided_at) if row.decided_at else None,
        last_sync_at=synced,
        last_upload_at=uploaded,
        sync_late=_late(synced, row.status, now),
        upload_late=_late(uploaded, row.status, now),
        software_version=row.software_version,
    )


def decide(
    session: Session,
    *,
    machine_id: str,
    action: str,
    actor: str,
    centers: Collection[str] | None,
    reason: str | None = None,
) -> MachineRow:
    """Approve or reject a pending machine, or revoke an approved one, within ``centers``; the reason
    (trimmed, at most MAX_REASON characters) goes into the audit entry. Conflict when the machine is
    not in the state the action starts from."""
    row = _get_scoped(session, machine_id, centers)
    if action not in _FROM:
        raise ValueError(f"unknown machine action {action!r}")
    if row.status != _FROM[action]:
        raise Conflict(
            ErrorCode.validation_error,
            f"machine {machine_id} is {row.status}; only a {_FROM[action]} machine can be {action}d",
        )
    return machines.decide_machine(
        session, machine_id=machine_id, approve=action == "approve", actor=actor, reason=clean_reason(reason)
    )


def decide_any(
    session: Session,
    *,
    machine_id: str,
    approve: bool,
    actor: str,
    centers: Collection[str] | None,
    reason: str | None = None,
) -> MachineRow:
    """The admin API's decision (approve, or reject/revoke) as before, limited to ``centers``."""
    _get_scoped(session, machine_id, centers)
    return machines.decide_machine(
        session, machine_id=machine_id, approve=approve, actor=actor, reason=clean_reason(reason)
    )


def clean_reason(reason: str | None) -> str | None:
    text = " ".join((reason or "").split())[:MAX_REASON]
    return text or None


def _get_scoped(session: Session, machine_id: str, centers: Collection[str] | None) -> MachineRow:
    row = session.get(MachineRow, machine_id)
    if row is None or (centers is not None and row.center_id not in centers):
        raise NotFound(ErrorCode.machine_unknown, f"machine {machine_id} is not known")
    return row

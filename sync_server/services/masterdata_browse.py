"""Reading master data for people: the change log newest first with who made each change (from the
audit entries of imports), and the current rows of small entities (the ID schemas, the UI specs)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sync_server.db.tables import AuditEntryRow, ChangeRow, CurrentRow
from sync_server.services.clock import aware

MAX_PAGE = 200


@dataclass(frozen=True)
class LogEntry:
    seq: int
    entity: str
    entity_id: str
    op: str
    center_id: str | None
    at: dt.datetime
    who: str | None  # None: no audit entry names the change (appended outside an audited import)


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    total: int


def _who(session: Session, low: int, high: int) -> dict[int, str]:
    """seq -> actor for seqs in [low, high], from ``masterdata.import`` audit entries (their details
    hold the import's first_seq and last_seq). Imports are audited in log order, so reading newest
    first can stop at the first import that ends below ``low``."""
    found: dict[int, str] = {}
    query = (
        select(AuditEntryRow.actor, AuditEntryRow.details)
        .where(AuditEntryRow.action == "masterdata.import")
        .order_by(AuditEntryRow.seq.desc())
        .execution_options(yield_per=500)
    )
    for actor, details in session.execute(query):
        try:
            parsed = json.loads(details)
            first, last = int(parsed["first_seq"]), int(parsed["last_seq"])
        except (ValueError, KeyError, TypeError):
            continue  # an import that appended nothing
        if last < low:
            break
        for seq in range(max(first, low), min(last, high) + 1):
            found[seq] = actor
    return found


def change_log(
    session: Session,
    *,
    entity: str | None = None,
    centers: frozenset[str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> LogPage:
    """One page of the log, newest first. ``centers``: only those centers' rows and global ones."""
    where = []
    if entity:
        where.append(ChangeRow.entity == entity)
    if centers is not None:
        where.append(or_(ChangeRow.center_id.is_(None), ChangeRow.center_id.in_(sorted(centers))))
    total = session.scalar(select(func.count()).select_from(ChangeRow).where(*where)) or 0
    rows = session.execute(
        select(
            ChangeRow.seq,
            ChangeRow.entity,
            ChangeRow.entity_id,
            ChangeRow.op,
            ChangeRow.center_id,
            ChangeRow.created_at,
        )
        .where(*where)
        .order_by(ChangeRow.seq.desc())
        .offset(max(0, offset))
        .limit(max(1, min(limit, MAX_PAGE)))
    ).all()
    who = _who(session, rows[-1].seq, rows[0].seq) if rows else {}
    return LogPage(
        entries=[
            LogEntry(
                seq=r.seq,
                entity=r.entity,
                entity_id=r.entity_id,
                op=r.op,
                center_id=r.center_id,
                at=aware(r.created_at),
                who=who.get(r.seq),
            )
            for r in rows
        ],
        total=total,
    )


def current_rows(session: Session, entity: str) -> list[dict[str, Any]]:
    """Every current row of a small entity (``id_schema``, ``ui_spec``), by id."""
    query = select(CurrentRow.data).where(CurrentRow.entity == entity).order_by(CurrentRow.entity_id)
    return [data for (data,) in session.execute(query)]

"""The audit log as the console reads it: newest first, filtered by actor, action, target and day,
paged back with ``before_seq``; and the chain check (``services.audit.verify_chain``).

Entries' ``at`` is an ISO-8601 UTC text of one fixed shape, so day bounds compare as text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from shared.audit_chain import AuditVerdict
from sync_server.db.tables import AuditEntryRow
from sync_server.services.audit import AuditEntryPublic, to_public, verify_chain

PAGE_SIZE = 50
_log = AuditEntryRow.__table__


@dataclass(frozen=True)
class AuditFilters:
    """Empty strings and None filter nothing. ``action`` ending in ``.`` matches a family
    (``packets.``); otherwise every filter is an exact match. Days are UTC, both ends included."""

    actor: str = ""
    action: str = ""
    target: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntryPublic]
    next_before: int | None  # the ``before_seq`` of the next (older) page; None on the last page


def list_filtered(
    engine: Engine, *, filters: AuditFilters, before_seq: int | None = None, limit: int = PAGE_SIZE
) -> AuditPage:
    """One page of entries matching ``filters``, newest first, older than ``before_seq`` if given."""
    limit = max(1, min(limit, 500))
    query = select(_log).order_by(_log.c.seq.desc()).limit(limit + 1)
    if before_seq is not None:
        query = query.where(_log.c.seq < before_seq)
    if filters.actor:
        query = query.where(_log.c.actor == filters.actor)
    if filters.action.endswith("."):
        query = query.where(_log.c.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        query = query.where(_log.c.action == filters.action)
    if filters.target:
        query = query.where(_log.c.target == filters.target)
    if filters.date_from:
        query = query.where(_log.c.at >= filters.date_from.isoformat())
    if filters.date_to:
        query = query.where(_log.c.at < (filters.date_to + dt.timedelta(days=1)).isoformat())
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    entries = [to_public(r) for r in rows[:limit]]
    return AuditPage(entries, entries[-1].seq if len(rows) > limit else None)


def check_chain(engine: Engine) -> AuditVerdict:
    """Walk the whole chain (``verify_chain``): ok with the count, or the first broken seq and why."""
    with engine.connect() as conn:
        return verify_chain(conn)

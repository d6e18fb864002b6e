"""Packets for the console and the admin API: a filtered, scoped, keyset-paged search, one packet's
facts with its processing timeline, and reprocessing it (audited by the queue).

Scope: ``centers`` is the caller's center scope (``roles.center_scope``): None means every center, a
set limits every read and action to those centers (a packet outside it reads as unknown).

The search pages by keyset on (registered_at, rid), newest first: each page is one indexed-size query
whatever the depth, where OFFSET would scan every row before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from shared.sync import ErrorCode, PacketState
from sync_server.db.tables import PacketRow
from sync_server.processing import queue
from sync_server.processing.history import StageAttempt, job_row, stage_timeline
from sync_server.processing.tables import processing_jobs
from sync_server.services.clock import aware
from sync_server.services.errors import BadInput, Forbidden, NotFound
from sync_server.services.roles import ADMIN, CENTER_ADMIN

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
PACKET_STATUSES = tuple(s.value for s in PacketState if s is not PacketState.unknown)
PROCESSING_STATUSES = ("queued", "running", "retry", "processed", "rejected", "failed")
REPROCESS_ROLES = frozenset({ADMIN, CENTER_ADMIN})
_RID_PART = re.compile(r"^[0-9]{1,29}$")
_ID5 = re.compile(r"^[0-9]{5}$")
_CURSOR = re.compile(r"^([0-9]{1,20})-([0-9]{1,29})$")
_packets = PacketRow.__table__
_jobs = processing_jobs.c


@dataclass(frozen=True)
class PacketFilters:
    """What a search keeps; empty strings and None filter nothing. ``rid`` matches a whole RID or
    the start of one; the dates are UTC days of registration, both ends included."""

    rid: str = ""
    center: str = ""
    machine: str = ""
    status: str = ""
    processing: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def query_items(self) -> dict[str, str]:
        """The non-empty filters as query-string values (what ``filters_from`` reads back)."""
        items = {
            "rid": self.rid,
            "center": self.center,
            "machine": self.machine,
            "status": self.status,
            "processing": self.processing,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in items.items() if v}


@dataclass(frozen=True)
class PacketLine:
    """One row of a search result."""

    rid: str
    center_id: str
    machine_id: str
    status: str
    processing: str | None
    size: int
    uin: str | None
    reason_code: str | None
    registered_at: dt.datetime
    received_at: dt.datetime | None


@dataclass(frozen=True)
class PacketPage:
    lines: list[PacketLine]
    next_cursor: str | None  # the ``after`` of the next (older) page; None on the last page


@dataclass(frozen=True)
class PacketDetail:
    """One packet's facts, its queue row (None if never queued) and its stage attempts, oldest first."""

    facts: dict[str, Any]
    job: dict[str, Any] | None
    timeline: list[StageAttempt] = field(default_factory=list)

    @property
    def uin(self) -> str | None:
        return self.facts.get("uin") or (self.job or {}).get("uin")


def _bad(message: str) -> BadInput:
    return BadInput(ErrorCode.validation_error, message)


def _date(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad(f"{name}: a date as YYYY-MM-DD") from None


def filters_from(values: Mapping[str, str]) -> PacketFilters:
    """Filters from query-string values (``rid center machine status processing from to``); raises
    BadInput naming the first malformed one."""

    def get(key: str) -> str:
        value = values.get(key) or ""
        return value.strip() if isinstance(value, str) else ""

    filters = PacketFilters(
        rid=get("rid"),
        center=get("center"),
        machine=get("machine"),
        status=get("status"),
        processing=get("processing"),
        date_from=_date(get("from"), "from"),
        date_to=_date(get("to"), "to"),
    )
    check_filters(filters)
    return filters


def check_filters(filters: PacketFilters) -> None:
    if filters.rid and not _RID_PART.match(filters.rid):
        raise _bad("rid: 1 to 29 digits (a whole RID or its start)")
    for name, value in (("center", filters.center), ("machine", filters.machine)):
        if value and not _ID5.match(value):
            raise _bad(f"{name}: 5 digits")
    if filters.status and filters.status not in PACKET_STATUSES:
        raise _bad(f"status: one of {', '.join(PACKET_STATUSES)}")
    if filters.processing and filters.processing not in PROCESSING_STATUSES:
        raise _bad(f"processing: one of {', '.join(PROCESSING_STATUSES)}")


def _cursor(line: PacketLine) -> str:
    micros = (line.registered_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    return f"{micros}-{line.rid}"


def _parse_cursor(after: str) -> tuple[dt.datetime, str]:
    found = _CURSOR.match(after)
    if not found:
        raise _bad("after: a cursor from a previous page")
    try:
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(found.group(1)))
    except OverflowError:
        raise _bad("after: a cursor from a previous page") from None
    return at, found.group(2)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _rid_condition(rid: str) -> Any:
    if len(rid) == 29:
        return _packets.c.rid == rid
    # A prefix as a range on the primary key: an index range scan on SQLite and PostgreSQL alike
    # (LIKE 'x%' is not indexable under a PostgreSQL non-C collation). RIDs are 29 digits, and strings
    # of digits of one length sort the same in every collation, which a bound like "…:" would not.
    pad = 29 - len(rid)
    return and_(_packets.c.rid >= rid + "0" * pad, _packets.c.rid <= rid + "9" * pad)


def _conditions(filters: PacketFilters, centers: frozenset[str] | None) -> list[Any]:
    conditions: list[Any] = []
    if centers is not None:
        conditions.append(_packets.c.center_id.in_(sorted(centers)))
    if filters.rid:
        conditions.append(_rid_condition(filters.rid))
    if filters.center:
        conditions.append(_packets.c.center_id == filters.center)
    if filters.machine:
        conditions.append(_packets.c.machine_id == filters.machine)
    if filters.status:
        conditions.append(_packets.c.status == filters.status)
    if filters.processing:
        conditions.append(_jobs.status == filters.processing)
    if filters.date_from:
        conditions.append(_packets.c.registered_at >= _day_start(filters.date_from))
    if filters.date_to:
        conditions.append(_packets.c.registered_at < _day_start(filters.date_to + dt.timedelta(days=1)))
    return conditions


def search_packets(
    engine: Engine,
    *,
    filters: PacketFilters,
    centers: frozenset[str] | None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> PacketPage:
    """One page of packets matching ``filters`` in ``centers``, newest registration first; ``after``
    (a page's ``next_cursor``) continues with the older ones. Raises BadInput for bad filters."""
    check_filters(filters)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if centers is not None and not centers:
        return PacketPage([], None)
    query = select(
        _packets.c.rid,
        _packets.c.center_id,
        _packets.c.machine_id,
        _packets.c.status,
        _packets.c.size,
        _packets.c.uin,
        _packets.c.reason_code,
        _packets.c.registered_at,
        _packets.c.received_at,
        _jobs.status.label("processing"),
        _jobs.uin.label("job_uin"),
    ).select_from(_packets.outerjoin(processing_jobs, processing_jobs.c.rid == _packets.c.rid))
    conditions = _conditions(filters, centers)
    if after:
        at, rid = _parse_cursor(after)
        conditions.append(
            or_(
                _packets.c.registered_at < at,
                and_(_packets.c.registered_at == at, _packets.c.rid < rid),
            )
        )
    query = query.where(*conditions).order_by(_packets.c.registered_at.desc(), _packets.c.rid.desc())
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit + 1)).all()
    lines = [
        PacketLine(
            rid=r.rid,
            center_id=r.center_id,
            machine_id=r.machine_id,
            status=r.status,
            processing=r.processing,
            size=r.size,
            uin=r.uin or r.job_uin,
            reason_code=r.reason_code,
            registered_at=aware(r.registered_at),
            received_at=aware(r.received_at) if r.received_at else None,
        )
        for r in rows[:limit]
    ]
    return PacketPage(lines, _cursor(lines[-1]) if len(rows) > limit else None)


def _facts(conn: Connection, rid: str, centers: frozenset[str] | None) -> dict[str, Any]:
    row = conn.execute(select(_packets).where(_packets.c.rid == rid)).mappings().first()
    if row is None or (centers is not None and row["center_id"] not in centers):
        raise NotFound(ErrorCode.packet_unknown, f"no packet {rid}")
    facts = dict(row)
    for key in ("registered_at", "received_at"):
        facts[key] = aware(facts[key]) if facts[key] else None
    return facts


def packet_detail(engine: Engine, *, rid: str, centers: frozenset[str] | None) -> PacketDetail:
    """The packet ``rid`` in scope with its processing; NotFound when unknown or out of scope."""
    with engine.connect() as conn:
        facts = _facts(conn, rid, centers)
        return PacketDetail(facts=facts, job=job_row(conn, rid), timeline=stage_timeline(conn, rid))


def may_reprocess(roles: frozenset[str]) -> bool:
    return not REPROCESS_ROLES.isdisjoint(roles)


def reprocess_packet(
    engine: Engine, *, rid: str, centers: frozenset[str] | None, roles: frozenset[str], actor: str
) -> str:
    """Queue ``rid`` again now; the queue audits ``packets.reprocess`` with ``actor`` in the same
    transaction. Returns ``queued``, or ``running`` (a worker has it: nothing changed) or
    ``not_queued`` (not fully received yet, so never queued). Forbidden without an admin role,
    NotFound out of scope."""
    if not may_reprocess(roles):
        raise Forbidden(ErrorCode.forbidden, "reprocessing needs the admin or center_admin role")
    with engine.connect() as conn:
        _facts(conn, rid, centers)
        job = job_row(conn, rid)
    if job is None:
        return "not_queued"
    # the queue leaves a running packet alone (and says so by counting none)
    return "queued" if queue.reprocess(engine, rid=rid, actor=actor) else "running"

"""Built-in report functions over the processing store.

Each takes a ``ReportContext`` and the definition's parameters and returns a ``ReportTable``.
Grouping by day happens in Python so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, Engine, String, column, func, inspect, select, table

from sync_server.processing.tables import processing_jobs
from sync_server.reports.artifacts import ReportTable

# machine id -> (last master data sync, last upload). By default read from the sync server's own tables
# (below); an embedding may supply its own.
MachineSyncTimes = Callable[[], Mapping[str, tuple[dt.datetime | None, dt.datetime | None]]]

# The sync server's tables, only the columns read here (this package does not import the server's models).
_machines = table(
    "machines",
    column("machine_id", String),
    column("status", String),
    column("last_masterdata_sync_at", DateTime(timezone=True)),
)
_packets = table("packets", column("machine_id", String), column("received_at", DateTime(timezone=True)))


@dataclass
class ReportContext:
    engine: Engine
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    machine_sync_times: MachineSyncTimes | None = None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def _since(context: ReportContext, params: Mapping[str, Any]) -> dt.datetime:
    return context.now - dt.timedelta(days=int(params.get("days", 30)))


def registrations_per_center_per_day(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Packets received per center and UTC day over the last ``days`` (default 30), with outcomes."""
    query = select(
        processing_jobs.c.center_id, processing_jobs.c.enqueued_at, processing_jobs.c.status
    ).where(processing_jobs.c.enqueued_at >= _since(context, params))
    counts: Counter[tuple[str, str, str]] = Counter()
    with context.engine.connect() as conn:
        for center, at, status in conn.execute(query):
            counts[(center or "unknown", _aware(at).date().isoformat(), status)] += 1
    keys = sorted({(c, d) for c, d, _ in counts})
    rows = [
        [
            c,
            d,
            counts[(c, d, "processed")],
            counts[(c, d, "rejected")],
            sum(n for k, n in counts.items() if k[:2] == (c, d)),
        ]
        for c, d in keys
    ]
    return ReportTable(["center_id", "day", "processed", "rejected", "received"], rows)


def registrations_per_operator(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Packets per operator (and center) over the last ``days``."""
    query = (
        select(processing_jobs.c.center_id, processing_jobs.c.operator_id, func.count())
        .where(processing_jobs.c.enqueued_at >= _since(context, params))
        .group_by(processing_jobs.c.center_id, processing_jobs.c.operator_id)
        .order_by(processing_jobs.c.center_id, processing_jobs.c.operator_id)
    )
    with context.engine.connect() as conn:
        rows = [[c or "unknown", o or "unknown", n] for c, o, n in conn.execute(query)]
    return ReportTable(["center_id", "operator_id", "registrations"], rows)


def rejection_reasons(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Rejected packets by reason code over the last ``days``."""
    query = (
        select(processing_jobs.c.reason_code, func.count())
        .where(
            processing_jobs.c.status == "rejected", processing_jobs.c.enqueued_at >= _since(context, params)
        )
        .group_by(processing_jobs.c.reason_code)
        .order_by(func.count().desc())
    )
    with context.engine.connect() as conn:
        rows = [[code, n] for code, n in conn.execute(query)]
    return ReportTable(["reason_code", "packets"], rows)


def packets_stuck_per_stage(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Unfinished packets older than ``minutes`` (default 30), by status and last stage."""
    cutoff = context.now - dt.timedelta(minutes=int(params.get("minutes", 30)))
    query = (
        select(
            processing_jobs.c.status,
            processing_jobs.c.stage,
            func.count(),
            func.min(processing_jobs.c.enqueued_at),
        )
        .where(
            processing_jobs.c.status.in_(("queued", "running", "retry", "failed")),
            processing_jobs.c.enqueued_at < cutoff,
        )
        .group_by(processing_jobs.c.status, processing_jobs.c.stage)
    )
    with context.engine.connect() as conn:
        rows = [
            [s, stage or "-", n, _aware(oldest).isoformat()] for s, stage, n, oldest in conn.execute(query)
        ]
    return ReportTable(["status", "stage", "packets", "oldest_received"], sorted(rows))


def _approved_machine_sync_times(
    engine: Engine,
) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]] | None:
    """``server_machine_sync_times``, or None when the database has no ``machines`` table."""
    names = set(inspect(engine).get_table_names())
    if "machines" not in names:
        return None
    with engine.connect() as conn:
        query = select(_machines.c.machine_id, _machines.c.last_masterdata_sync_at).where(
            _machines.c.status == "approved"
        )
        times = {m: (_aware(at), None) for m, at in conn.execute(query)}
        if "packets" in names:
            uploads = select(_packets.c.machine_id, func.max(_packets.c.received_at)).group_by(
                _packets.c.machine_id
            )
            for machine, last in conn.execute(uploads):
                # Only approved machines: a revoked or rejected one's old uploads do not list it.
                if last is not None and machine in times:
                    times[machine] = (times[machine][0], _aware(last))
    return times


def server_machine_sync_times(engine: Engine) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]]:
    """From the sync server's tables: every approved machine with its last master-data sync (the last
    time it caught up, recorded by the changes endpoint) and its last fully received upload. Revoked,
    rejected and pending machines are left out even when they uploaded. Empty when the database has no
    sync server tables (a processing-only test database)."""
    return _approved_machine_sync_times(engine) or {}


def kiosk_sync_lag(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Per approved machine: last master data sync and last packet upload, and hours since each.

    The machines listed are those of ``machine_sync_times`` (default: the approved machines of the sync
    server's tables); queued packets only refresh their last upload. Only a database without a
    ``machines`` table lists every machine found in the processing queue."""
    if context.machine_sync_times is not None:
        known: Mapping[str, tuple[dt.datetime | None, dt.datetime | None]] | None = (
            context.machine_sync_times()
        )
    else:
        known = _approved_machine_sync_times(context.engine)
    times: dict[str, list[dt.datetime | None]] = {
        m: [_aware(s), _aware(u)] for m, (s, u) in (known or {}).items()
    }
    query = select(processing_jobs.c.machine_id, func.max(processing_jobs.c.enqueued_at)).group_by(
        processing_jobs.c.machine_id
    )
    with context.engine.connect() as conn:
        for machine, last in conn.execute(query):
            if not machine or (known is not None and machine not in times):
                continue
            entry = times.setdefault(machine, [None, None])
            entry[1] = max(filter(None, [entry[1], _aware(last)]))

    def hours(at: dt.datetime | None) -> float | str:
        return round((context.now - at).total_seconds() / 3600, 2) if at else ""

    rows = [
        [m, s.isoformat() if s else "", hours(s), u.isoformat() if u else "", hours(u)]
        for m, (s, u) in sorted(times.items())
    ]
    return ReportTable(
        ["machine_id", "last_masterdata_sync", "sync_lag_h", "last_upload", "upload_lag_h"], rows
    )


REPORTS: dict[str, Callable[[ReportContext, Mapping[str, Any]], ReportTable]] = {
    "registrations_per_center_per_day": registrations_per_center_per_day,
    "registrations_per_operator": registrations_per_operator,
    "rejection_reasons": rejection_reasons,
    "packets_stuck_per_stage": packets_stuck_per_stage,
    "kiosk_sync_lag": kiosk_sync_lag,
}

BUILTIN_DEFINITIONS = [
    {
        "id": "daily-registrations",
        "title": "Registrations per center per day",
        "function": "registrations_per_center_per_day",
        "cron": "0 6 * * *",
    },
    {
        "id": "operators",
        "title": "Registrations per operator",
        "function": "registrations_per_operator",
        "cron": "0 6 * * 1",
    },
    {"id": "rejections", "title": "Rejection reasons", "function": "rejection_reasons", "cron": "0 6 * * *"},
    {
        "id": "stuck-packets",
        "title": "Packets stuck per stage",
        "function": "packets_stuck_per_stage",
        "cron": "*/30 * * * *",
    },
    {"id": "sync-lag", "title": "Kiosk sync lag", "function": "kiosk_sync_lag", "cron": "0 * * * *"},
]

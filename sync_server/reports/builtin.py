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

from sync_server.ports import ProcessingJobs
from sync_server.reports.artifacts import ReportTable
from sync_server.reports.spec import BuiltinSource, ReportSpec, Schedule
from sync_server.services.clock import utcnow

# machine id -> (last master data sync, last upload), or None where there is no machine registry (then
# every machine of the processing queue is listed). The server passes one over its own tables
# (``sync_server.services.machine_sync_times``).
MachineSyncTimes = Callable[[], Mapping[str, tuple[dt.datetime | None, dt.datetime | None]] | None]


@dataclass
class ReportContext:
    """What report functions read: the processing queue (through its query port) and machine sync times."""

    jobs: ProcessingJobs
    now: dt.datetime = field(default_factory=utcnow)
    machine_sync_times: MachineSyncTimes | None = None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def _since(context: ReportContext, params: Mapping[str, Any]) -> dt.datetime:
    return context.now - dt.timedelta(days=int(params.get("days", 30)))


def registrations_per_center_per_day(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Packets received per center and UTC day over the last ``days`` (default 30), with outcomes."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for center, at, status in context.jobs.received_since(_since(context, params)):
        counts[(center or "unknown", at.date().isoformat(), status)] += 1
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
    rows = [
        [c or "unknown", o or "unknown", n]
        for c, o, n in context.jobs.count_per_operator(_since(context, params))
    ]
    return ReportTable(["center_id", "operator_id", "registrations"], rows)


def rejection_reasons(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Rejected packets by reason code over the last ``days``."""
    rows = [[code, n] for code, n in context.jobs.count_rejections(_since(context, params))]
    return ReportTable(["reason_code", "packets"], rows)


def packets_stuck_per_stage(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Unfinished packets older than ``minutes`` (default 30), by status and last stage."""
    cutoff = context.now - dt.timedelta(minutes=int(params.get("minutes", 30)))
    rows = [
        [s, stage or "-", n, oldest.isoformat()]
        for s, stage, n, oldest in context.jobs.count_unfinished(cutoff)
    ]
    return ReportTable(["status", "stage", "packets", "oldest_received"], sorted(rows))


def kiosk_sync_lag(context: ReportContext, params: Mapping[str, Any]) -> ReportTable:
    """Per approved machine: last master data sync and last packet upload, and hours since each.

    The machines listed are those of ``machine_sync_times`` (the server passes its approved machines);
    queued packets only refresh their last upload. Without a machine registry (None, or no
    ``machine_sync_times``) every machine found in the processing queue is listed."""
    known = context.machine_sync_times() if context.machine_sync_times is not None else None
    times: dict[str, list[dt.datetime | None]] = {
        m: [_aware(s), _aware(u)] for m, (s, u) in (known or {}).items()
    }
    for machine, last in context.jobs.last_enqueued_per_machine():
        if not machine or (known is not None and machine not in times):
            continue
        entry = times.setdefault(machine, [None, None])
        entry[1] = max(filter(None, [entry[1], last]))

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


def _builtin(title: str, function: str, cron: str, description: str) -> ReportSpec:
    return ReportSpec(
        title=title,
        description=description,
        source=BuiltinSource(function=function),
        formats=["csv", "json", "pdf"],
        schedule=Schedule(cron=cron),
    )


# Installed on first start as ordinary definitions (owner "system"): admins edit, version and
# deactivate them like any other.
BUILTIN_DEFINITIONS: dict[str, ReportSpec] = {
    "daily-registrations": _builtin(
        "Registrations per center per day",
        "registrations_per_center_per_day",
        "0 6 * * *",
        "Packets received per center and day over the last 30 days, with how many were processed and rejected.",
    ),
    "operators": _builtin(
        "Registrations per operator",
        "registrations_per_operator",
        "0 6 * * 1",
        "Packets per registration officer and center over the last 30 days.",
    ),
    "rejections": _builtin(
        "Rejection reasons",
        "rejection_reasons",
        "0 6 * * *",
        "Rejected packets by reason over the last 30 days.",
    ),
    "stuck-packets": _builtin(
        "Packets stuck per stage",
        "packets_stuck_per_stage",
        "*/30 * * * *",
        "Packets unfinished for more than 30 minutes, by status and stage.",
    ),
    "sync-lag": _builtin(
        "Kiosk sync lag",
        "kiosk_sync_lag",
        "0 * * * *",
        "Per approved kiosk: hours since its last master-data sync and its last upload.",
    ),
}

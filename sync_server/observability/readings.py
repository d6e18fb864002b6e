"""The database's figures for the metrics, read at scrape time (``collector``): packets by status, the
processing queue and its oldest job, kiosks by hours since their last sync, report runs and
deliveries by outcome.

A handful of grouped reads in one session. The kiosk buckets are counted in SQL (one row back,
however many kiosks); the other reads group on indexed status columns or on the report history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.orm import Session

from shared.sync import MachineStatus, PacketState
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.processing.tables import processing_jobs
from sync_server.reports.tables import report_deliveries, report_runs
from sync_server.services.clock import aware, utcnow

# Hours since a kiosk's last master-data sync (or its approval, if it never synced): bucket bounds.
KIOSK_AGE_HOURS = (1, 6, 24, 48, 72, 168, 720)
# processing_jobs statuses: waiting for or in a worker, waiting for a person or the ABIS, given up
WAITING_JOBS = ("queued", "running", "retry")
JOB_STATUSES = (*WAITING_JOBS, "held", "failed")
_jobs = processing_jobs.c


@dataclass(frozen=True)
class Readings:
    packets: dict[str, int]  # every PacketState, 0 when none
    oldest_received_age_s: float  # the oldest packet received but not yet taken by a worker; 0: none
    jobs: dict[str, int]  # every JOB_STATUSES
    oldest_waiting_job_age_s: float  # the oldest queued/running/retry job; 0: none
    kiosks: int  # approved machines
    kiosk_buckets: list[tuple[float, int]]  # (hours, approved kiosks silent at most that long), cumulative
    kiosk_hours_sum: float  # the hours since the last sync, added up over the approved kiosks
    kiosks_never_synced: int
    report_runs: dict[str, int]  # by status: running, succeeded, warning, failed
    report_deliveries: dict[str, int]  # by outcome: delivered, failed, skipped

    @property
    def queue_depth(self) -> int:
        return sum(self.jobs[s] for s in WAITING_JOBS)


def read_gauges(session: Session, *, now: dt.datetime | None = None) -> Readings:
    """The figures as of ``now`` (default: the server clock)."""
    now = now or utcnow()
    packets = {state.value: 0 for state in PacketState if state is not PacketState.unknown}
    packets |= dict(session.execute(select(PacketRow.status, func.count()).group_by(PacketRow.status)).all())
    oldest_received = session.scalar(
        select(func.min(PacketRow.received_at)).where(PacketRow.status == PacketState.received.value)
    )
    jobs = dict.fromkeys(JOB_STATUSES, 0)
    jobs |= dict(
        session.execute(
            select(_jobs.status, func.count()).where(_jobs.status.in_(JOB_STATUSES)).group_by(_jobs.status)
        ).all()
    )
    oldest_job = session.scalar(select(func.min(_jobs.enqueued_at)).where(_jobs.status.in_(WAITING_JOBS)))
    kiosks, buckets, never, hours_sum = _kiosks(session, now)
    runs = dict(
        session.execute(select(report_runs.c.status, func.count()).group_by(report_runs.c.status)).all()
    )
    deliveries = dict(
        session.execute(
            select(report_deliveries.c.outcome, func.count()).group_by(report_deliveries.c.outcome)
        ).all()
    )
    return Readings(
        packets=packets,
        oldest_received_age_s=_age(now, oldest_received),
        jobs=jobs,
        oldest_waiting_job_age_s=_age(now, oldest_job),
        kiosks=kiosks,
        kiosk_buckets=buckets,
        kiosk_hours_sum=hours_sum,
        kiosks_never_synced=never,
        report_runs=runs,
        report_deliveries=deliveries,
    )


def _age(now: dt.datetime, since: dt.datetime | None) -> float:
    return max(0.0, (now - aware(since)).total_seconds()) if since is not None else 0.0


def _kiosks(session: Session, now: dt.datetime) -> tuple[int, list[tuple[float, int]], int, float]:
    """(approved kiosks, cumulative buckets, never synced, summed hours) in one grouped read."""
    last_seen = func.coalesce(
        MachineRow.last_masterdata_sync_at, MachineRow.decided_at, MachineRow.created_at
    )
    within = [
        func.coalesce(func.sum(case((last_seen >= now - dt.timedelta(hours=h), 1), else_=0)), 0)
        for h in KIOSK_AGE_HOURS
    ]
    never = func.coalesce(func.sum(case((MachineRow.last_masterdata_sync_at.is_(None), 1), else_=0)), 0)
    if session.get_bind().dialect.name == "sqlite":  # stored as UTC text
        epoch = cast(func.strftime("%s", last_seen), Integer)
    else:
        epoch = extract("epoch", last_seen)
    row = session.execute(
        select(func.count(), never, func.coalesce(func.sum(epoch), 0), *within).where(
            MachineRow.status == MachineStatus.approved.value
        )
    ).one()
    total, never_synced, epoch_sum = int(row[0]), int(row[1]), float(row[2])
    counts = [int(n) for n in row[3:]]
    hours_sum = max(0.0, (total * now.timestamp() - epoch_sum) / 3600)
    return total, [*zip(map(float, KIOSK_AGE_HOURS), counts, strict=True)], never_synced, hours_sum

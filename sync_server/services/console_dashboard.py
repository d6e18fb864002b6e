"""The dashboard's numbers, for the console page and ``GET /api/v1/admin/dashboard`` alike: packets by
status today and this week, the processing queue, late kiosks and registrations per center per day.

Every figure is limited to ``centers`` (None: every center). Days are UTC days; the week starts on
Monday. Each call is a handful of grouped reads in the caller's session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shared.sync import MachineStatus
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.processing.tables import processing_jobs
from sync_server.services.clock import aware, utcnow
from sync_server.services.console_machines import STALE_AFTER, last_uploads

CHART_DAYS = 14
STALEST_SHOWN = 8
# processing_jobs statuses still waiting for (or in) a worker; "failed" jobs gave up and are counted apart
WAITING = ("queued", "running", "retry")
_jobs = processing_jobs.c


class StatusCount(BaseModel):
    status: str
    today: int
    week: int


class FailedStage(BaseModel):
    stage: str
    count: int


class LateKiosk(BaseModel):
    machine_id: str
    name: str
    center_id: str
    last_sync_at: dt.datetime | None
    last_upload_at: dt.datetime | None
    sync_late: bool
    upload_late: bool


class CenterDay(BaseModel):
    center_id: str
    day: dt.date
    count: int


class DashboardNumbers(BaseModel):
    generated_at: dt.datetime
    centers: list[str] | None  # the scope the numbers cover; None: every center
    packets: list[StatusCount]  # registered today / since Monday, by status
    packets_today: int
    packets_week: int
    queue_depth: int  # processing jobs queued, running or waiting for a retry
    failed: list[FailedStage]  # jobs that gave up, by the stage they failed in
    failed_total: int
    kiosks: int  # approved machines
    sync_late: int  # approved machines without a complete master-data sync for over 48 h (or ever)
    upload_late: int  # approved machines without an upload for over 48 h (or ever)
    stalest: list[LateKiosk]
    days: list[dt.date]  # the chart's days, oldest first
    registrations: list[CenterDay]  # packets registered per center per day over ``days``


def dashboard_numbers(
    session: Session, *, centers: Collection[str] | None, now: dt.datetime | None = None
) -> DashboardNumbers:
    now = now or utcnow()
    today = dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC)
    monday = today - dt.timedelta(days=today.weekday())
    scope = sorted(centers) if centers is not None else None
    packets = _packets_by_status(session, scope, today, monday)
    waiting, failed = _queue(session, scope)
    kiosks = _kiosks(session, scope, now)
    days = [(today - dt.timedelta(days=n)).date() for n in range(CHART_DAYS - 1, -1, -1)]
    return DashboardNumbers(
        generated_at=now,
        centers=scope,
        packets=packets,
        packets_today=sum(p.today for p in packets),
        packets_week=sum(p.week for p in packets),
        queue_depth=waiting,
        failed=failed,
        failed_total=sum(f.count for f in failed),
        kiosks=len(kiosks),
        sync_late=sum(k.sync_late for k in kiosks),
        upload_late=sum(k.upload_late for k in kiosks),
        stalest=[k for k in kiosks if k.sync_late or k.upload_late][:STALEST_SHOWN],
        days=days,
        registrations=_per_center_day(session, scope, today - dt.timedelta(days=CHART_DAYS - 1)),
    )


def _packets_by_status(session, scope, today, monday) -> list[StatusCount]:
    start = min(today, monday)
    query = (
        select(
            PacketRow.status,
            func.count(),
            func.coalesce(func.sum(case((PacketRow.registered_at >= today, 1), else_=0)), 0),
        )
        .where(PacketRow.registered_at >= start)
        .group_by(PacketRow.status)
        .order_by(PacketRow.status)
    )
    if scope is not None:
        query = query.where(PacketRow.center_id.in_(scope))
    return [StatusCount(status=s, week=n, today=int(t)) for s, n, t in session.execute(query)]


def _queue(session, scope) -> tuple[int, list[FailedStage]]:
    query = (
        select(_jobs.status, _jobs.stage, func.count())
        .where(_jobs.status.in_([*WAITING, "failed"]))
        .group_by(_jobs.status, _jobs.stage)
    )
    if scope is not None:
        query = query.where(_jobs.center_id.in_(scope))
    waiting, failed = 0, {}
    for status, stage, count in session.execute(query):
        if status == "failed":
            failed[stage or "-"] = failed.get(stage or "-", 0) + count
        else:
            waiting += count
    return waiting, [FailedStage(stage=s, count=n) for s, n in sorted(failed.items(), key=lambda i: -i[1])]


def _kiosks(session, scope, now) -> list[LateKiosk]:
    """Approved machines, stalest first (never seen before seen long ago)."""
    machines = select(
        MachineRow.machine_id, MachineRow.name, MachineRow.center_id, MachineRow.last_masterdata_sync_at
    ).where(MachineRow.status == MachineStatus.approved.value)
    if scope is not None:
        machines = machines.where(MachineRow.center_id.in_(scope))
    rows = session.execute(machines).all()
    last_upload = last_uploads(session, [r.machine_id for r in rows])
    cutoff = now - STALE_AFTER
    kiosks = []
    for machine_id, name, center_id, synced in rows:
        synced = aware(synced) if synced else None
        uploaded = last_upload.get(machine_id)
        kiosks.append(
            LateKiosk(
                machine_id=machine_id,
                name=name,
                center_id=center_id,
                last_sync_at=synced,
                last_upload_at=uploaded,
                sync_late=synced is None or synced < cutoff,
                upload_late=uploaded is None or uploaded < cutoff,
            )
        )
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    kiosks.sort(key=lambda k: (min(k.last_sync_at or oldest, k.last_upload_at or oldest), k.machine_id))
    return kiosks


def _per_center_day(session, scope, since: dt.datetime) -> list[CenterDay]:
    at = PacketRow.registered_at
    # a UTC calendar day on both databases (PostgreSQL's date() would use the session's time zone)
    day = (
        func.date(at) if session.get_bind().dialect.name == "sqlite" else func.date(func.timezone("UTC", at))
    )
    query = (
        select(PacketRow.center_id, day, func.count())
        .where(at >= since)
        .group_by(PacketRow.center_id, day)
        .order_by(day, PacketRow.center_id)
    )
    if scope is not None:
        query = query.where(PacketRow.center_id.in_(scope))
    return [
        CenterDay(
            center_id=c, day=d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]), count=n
        )
        for c, d, n in session.execute(query)
    ]

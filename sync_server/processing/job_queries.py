"""``ProcessingJobs`` (``sync_server.ports``) over ``processing_jobs``: what reports read of the queue.

Grouping by day is left to the caller so the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from sync_server.processing.queue import UNFINISHED_STATUSES, aware
from sync_server.processing.tables import processing_jobs

_jobs = processing_jobs.c


class JobQueries:
    """Implements ``sync_server.ports.ProcessingJobs``; each call is one read on its own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def received_since(self, since: dt.datetime) -> list[tuple[str | None, dt.datetime, str]]:
        query = select(_jobs.center_id, _jobs.enqueued_at, _jobs.status).where(_jobs.enqueued_at >= since)
        with self.engine.connect() as conn:
            return [(center, aware(at), status) for center, at, status in conn.execute(query)]

    def count_per_operator(self, since: dt.datetime) -> list[tuple[str | None, str | None, int]]:
        query = (
            select(_jobs.center_id, _jobs.operator_id, func.count())
            .where(_jobs.enqueued_at >= since)
            .group_by(_jobs.center_id, _jobs.operator_id)
            .order_by(_jobs.center_id, _jobs.operator_id)
        )
        with self.engine.connect() as conn:
            return [(c, o, n) for c, o, n in conn.execute(query)]

    def count_rejections(self, since: dt.datetime) -> list[tuple[str | None, int]]:
        query = (
            select(_jobs.reason_code, func.count())
            .where(_jobs.status == "rejected", _jobs.enqueued_at >= since)
            .group_by(_jobs.reason_code)
            .order_by(func.count().desc())
        )
        with self.engine.connect() as conn:
            return [(code, n) for code, n in conn.execute(query)]

    def count_unfinished(self, before: dt.datetime) -> list[tuple[str, str | None, int, dt.datetime]]:
        query = (
            select(_jobs.status, _jobs.stage, func.count(), func.min(_jobs.enqueued_at))
            .where(_jobs.status.in_(UNFINISHED_STATUSES), _jobs.enqueued_at < before)
            .group_by(_jobs.status, _jobs.stage)
        )
        with self.engine.connect() as conn:
            return [(s, stage, n, aware(oldest)) for s, stage, n, oldest in conn.execute(query)]

    def last_enqueued_per_machine(self) -> list[tuple[str | None, dt.datetime]]:
        query = select(_jobs.machine_id, func.max(_jobs.enqueued_at)).group_by(_jobs.machine_id)
        with self.engine.connect() as conn:
            return [(machine, aware(last)) for machine, last in conn.execute(query)]

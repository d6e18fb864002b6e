"""Run reports: claim a run row, compute the table, write and deliver artifacts, record the outcome.

A run is claimed by inserting its row with a unique ``run_key``; whoever fails that insert does not
run. For scheduled runs the key is the definition id plus the scheduled fire time (computed from the
cron expression, not the wall clock), so every server sharing the database derives the same key.
"""

from __future__ import annotations

import datetime as dt
import socket
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync_server.reports.artifacts import write_artifacts
from sync_server.reports.builtin import BUILTIN_DEFINITIONS, REPORTS, ReportContext
from sync_server.reports.delivery import delivery_from_config
from sync_server.reports.tables import report_artifacts, report_definitions, report_runs
from sync_server.services.clock import utcnow


def cron_trigger(cron: str) -> CronTrigger:
    """Crontab text to a UTC trigger; six fields means a leading seconds field (used by tests)."""
    fields = cron.split()
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone="UTC"
        )
    return CronTrigger.from_crontab(cron, timezone="UTC")


def scheduled_fire_time(cron: str, *, now: dt.datetime, grace: dt.timedelta) -> dt.datetime | None:
    """The latest fire time of ``cron`` in ``[now - grace, now]`` (the run this firing stands for)."""
    trigger = cron_trigger(cron)
    fire = trigger.get_next_fire_time(None, now - grace)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return latest


@dataclass
class ReportService:
    """Report definitions, runs and artifacts in the server database; artifacts under ``out_dir``."""

    engine: Engine
    out_dir: Path
    # A fresh context per run (the composition root builds it over the processing queue's query port).
    context_factory: Callable[[], ReportContext]
    instance: str = f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}"
    misfire_grace: dt.timedelta = dt.timedelta(seconds=60)

    def install_builtin_definitions(self) -> None:
        """Add the built-in definitions that are missing (admins may edit or deactivate them)."""
        with self.engine.begin() as conn:
            known = set(conn.execute(select(report_definitions.c.id)).scalars())
            for definition in BUILTIN_DEFINITIONS:
                if definition["id"] not in known:
                    conn.execute(
                        insert(report_definitions).values(
                            **definition,
                            parameters={},
                            formats=["csv", "json", "pdf"],
                            delivery={},
                            active=True,
                        )
                    )

    def save_definition(self, **values: Any) -> None:
        """Create or replace one definition (``id``, ``title``, ``function``, ``cron``, ...)."""
        if values["function"] not in REPORTS:
            raise ValueError(f"unknown report function {values['function']!r}; known: {sorted(REPORTS)}")
        values = {
            "parameters": {},
            "formats": ["csv", "json", "pdf"],
            "delivery": {},
            "active": True,
        } | values
        with self.engine.begin() as conn:
            conn.execute(report_definitions.delete().where(report_definitions.c.id == values["id"]))
            conn.execute(insert(report_definitions).values(**values))

    def definitions(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r)
                for r in conn.execute(select(report_definitions).order_by(report_definitions.c.id)).mappings()
            ]

    def runs(self, definition_id: str | None = None) -> list[dict[str, Any]]:
        query = select(report_runs).order_by(report_runs.c.id.desc())
        if definition_id:
            query = query.where(report_runs.c.definition_id == definition_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def artifacts(self, run_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            query = (
                select(report_artifacts)
                .where(report_artifacts.c.run_id == run_id)
                .order_by(report_artifacts.c.id)
            )
            return [dict(r) for r in conn.execute(query).mappings()]

    def run_scheduled(self, definition_id: str, *, now: dt.datetime | None = None) -> int | None:
        """Called by the scheduler; runs only if this instance claims the scheduled fire time."""
        definition = self._definition(definition_id)
        if not definition["active"] or not definition["cron"]:
            return None
        fire = scheduled_fire_time(definition["cron"], now=now or utcnow(), grace=self.misfire_grace)
        if fire is None:
            return None
        return self.run(definition_id, trigger="schedule", run_key=f"{definition_id}@{fire.isoformat()}")

    def run(self, definition_id: str, *, trigger: str = "manual", run_key: str | None = None) -> int | None:
        """Run a report now; returns the run id, or None if another instance already claimed the key."""
        definition = self._definition(definition_id)
        run_key = run_key or f"{definition_id}@manual-{uuid.uuid4().hex}"
        try:
            with self.engine.begin() as conn:
                run_id = conn.execute(
                    insert(report_runs).values(
                        definition_id=definition_id,
                        run_key=run_key,
                        trigger=trigger,
                        instance=self.instance,
                        started_at=utcnow(),
                        status="running",
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            return None
        try:
            context = self.context_factory()
            table = REPORTS[definition["function"]](context, definition["parameters"] or {})
            started = utcnow()
            facts = [
                f"Run {run_id} ({trigger}) at {started:%Y-%m-%d %H:%M:%S} UTC",
                f"{len(table.rows)} rows",
            ]
            artifacts = write_artifacts(
                table=table,
                title=definition["title"],
                facts=facts,
                formats=definition["formats"],
                out_dir=self.out_dir / definition_id,
                stem=f"{definition_id}-{started:%Y%m%dT%H%M%S}-run{run_id}",
            )
            delivered: list[str] = []
            for delivery in delivery_from_config(definition["delivery"] or {}, base_dir=self.out_dir):
                delivered += delivery.deliver(artifacts)
            with self.engine.begin() as conn:
                for artifact in artifacts:
                    conn.execute(
                        insert(report_artifacts).values(
                            run_id=run_id,
                            format=artifact.format,
                            path=str(artifact.path),
                            sha256=artifact.sha256,
                            size=artifact.size,
                            delivered=[d for d in delivered if d.endswith(artifact.path.name)],
                        )
                    )
                conn.execute(
                    update(report_runs)
                    .where(report_runs.c.id == run_id)
                    .values(status="succeeded", ended_at=utcnow(), row_count=len(table.rows))
                )
        except Exception as exc:
            with self.engine.begin() as conn:
                conn.execute(
                    update(report_runs)
                    .where(report_runs.c.id == run_id)
                    .values(
                        status="failed",
                        ended_at=utcnow(),
                        error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:8000],
                    )
                )
        return run_id

    def _definition(self, definition_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(report_definitions).where(report_definitions.c.id == definition_id))
                .mappings()
                .first()
            )
        if row is None:
            raise KeyError(f"no report definition {definition_id!r}")
        return dict(row)

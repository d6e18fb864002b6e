"""APScheduler 3 over a persistent SQLAlchemy job store: schedules survive restarts.

Each active definition with a cron gets a job whose trigger (``ReportTrigger``) is the cron in the
definition's time zone with its business-day rule. One more job polls the event triggers (files,
watermarks) and ends runs a stopped server left running (at start too). Several servers may share one job store. APScheduler 3 has no cross-instance locking,
so each instance may fire the same job; ``ReportService.run_scheduled`` makes every firing claim a
row keyed by the scheduled run time first, and only the instance whose insert wins does the work.
Jobs reference module-level functions (the job store pickles a textual reference, not a closure),
which find this process's service through ``_SERVICE``/``_WATCHER``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from sync_server.reports.runner import ReportService
from sync_server.reports.schedule import Calendar, next_runs
from sync_server.reports.spec import Schedule
from sync_server.reports.triggers import TriggerWatcher
from sync_server.services.clock import utcnow

JOB_PREFIX = "report:"
TRIGGER_JOB = "report-triggers"
_SERVICE: ReportService | None = None
_WATCHER: TriggerWatcher | None = None


class ReportTrigger(BaseTrigger):
    """A report's schedule as an APScheduler trigger (picklable: the schedule and holidays as data)."""

    def __init__(self, schedule: Schedule, holidays: list[dt.date]) -> None:
        self.schedule_data = schedule.model_dump(mode="json")
        self.holidays = list(holidays)

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        schedule = Schedule.model_validate(self.schedule_data)
        after = previous_fire_time or (now - dt.timedelta(microseconds=1))
        runs = next_runs(
            schedule,
            Calendar.of(schedule, self.holidays),
            now=max(after, now - dt.timedelta(microseconds=1)),
            count=1,
        )
        return runs[0] if runs else None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "schedule": self.schedule_data,
            "holidays": [d.isoformat() for d in self.holidays],
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.schedule_data = state["schedule"]
        self.holidays = [dt.date.fromisoformat(d) for d in state["holidays"]]

    def __str__(self) -> str:
        return f"report schedule {self.schedule_data.get('cron')} {self.schedule_data.get('timezone')}"


def fire_scheduled_report(definition_id: str) -> None:
    """The scheduled job body (module level so the persistent job store can reference it)."""
    if _SERVICE is not None:
        _SERVICE.run_scheduled(definition_id, now=utcnow())


def poll_report_triggers() -> None:
    if _WATCHER is not None:
        _WATCHER.service.fail_stale_runs()
        _WATCHER.poll()


class ReportScheduler:
    """Owns one BackgroundScheduler; ``sync_jobs`` mirrors the active definitions into the job store."""

    def __init__(
        self,
        *,
        service: ReportService,
        jobstore_url: str,
        watcher: TriggerWatcher | None = None,
        poll_s: float = 15,
    ) -> None:
        self.service = service
        self.watcher = watcher
        self.poll_s = poll_s
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=jobstore_url, tablename="apscheduler_jobs")},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(service.misfire_grace.total_seconds()),
            },
            timezone="UTC",
        )

    def start(self) -> None:
        global _SERVICE, _WATCHER
        _SERVICE, _WATCHER = self.service, self.watcher
        self.service.fail_stale_runs()
        self.scheduler.start()
        self.sync_jobs()
        if self.watcher is not None:
            self.scheduler.add_job(
                poll_report_triggers, "interval", seconds=self.poll_s, id=TRIGGER_JOB, replace_existing=True
            )

    def sync_jobs(self) -> None:
        """Add/replace a job per active definition with a cron; drop jobs of removed/inactive ones."""
        wanted = {d.id: d for d in self.service.definitions.list() if d.active and d.spec.schedule.cron}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id[len(JOB_PREFIX) :] not in wanted:
                job.remove()
        holidays = self.service.holidays()
        for definition_id, definition in wanted.items():
            self.scheduler.add_job(
                fire_scheduled_report,
                trigger=ReportTrigger(definition.spec.schedule, holidays),
                args=[definition_id],
                id=JOB_PREFIX + definition_id,
                name=definition.title,
                replace_existing=True,
            )

    def shutdown(self) -> None:
        global _SERVICE, _WATCHER
        self.scheduler.shutdown(wait=True)
        if _SERVICE is self.service:
            _SERVICE, _WATCHER = None, None

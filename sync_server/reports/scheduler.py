"""APScheduler 3 over a persistent SQLAlchemy job store: schedules survive restarts.

Several servers may share one PostgreSQL job store. APScheduler 3 has no cross-instance locking, so
each instance may fire the same job; ``ReportService.run_scheduled`` makes every firing claim a row
keyed by the scheduled fire time first, and only the instance whose insert wins does the work.
Jobs reference a module-level function (the job store pickles a textual reference, not a closure),
which finds this process's service through ``_SERVICE``.
"""

from __future__ import annotations

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from sync_server.reports.runner import ReportService, cron_trigger
from sync_server.services.clock import utcnow

JOB_PREFIX = "report:"
_SERVICE: ReportService | None = None


def fire_scheduled_report(definition_id: str) -> None:
    """The scheduled job body (module level so the persistent job store can reference it)."""
    if _SERVICE is not None:
        _SERVICE.run_scheduled(definition_id, now=utcnow())


class ReportScheduler:
    """Owns one BackgroundScheduler; ``sync_jobs`` mirrors the active definitions into the job store."""

    def __init__(self, *, service: ReportService, jobstore_url: str) -> None:
        self.service = service
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
        global _SERVICE
        _SERVICE = self.service
        self.scheduler.start()
        self.sync_jobs()

    def sync_jobs(self) -> None:
        """Add/replace a job per active definition with a cron; drop jobs of removed/inactive ones."""
        wanted = {d["id"]: d for d in self.service.definitions() if d["active"] and d["cron"]}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id[len(JOB_PREFIX) :] not in wanted:
                job.remove()
        for definition_id, definition in wanted.items():
            self.scheduler.add_job(
                fire_scheduled_report,
                trigger=cron_trigger(definition["cron"]),
                args=[definition_id],
                id=JOB_PREFIX + definition_id,
                name=definition["title"],
                replace_existing=True,
            )

    def shutdown(self) -> None:
        global _SERVICE
        self.scheduler.shutdown(wait=True)
        if _SERVICE is self.service:
            _SERVICE = None

"""When a report fires: cron in the definition's time zone, then business-day rules.

A firing on a weekend day or holiday is kept (``any``), dropped (``skip``) or moved to the next or
previous business day at the same local time (``next``/``previous``). Holidays come from master data
(the ``holidays`` entity, passed in by the caller) and from the ``holidays`` package for the
definition's country. The run key of a scheduled run is the cron fire time, so a moved firing keeps
the key of the cron firing it stands for and runs once across servers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

from sync_server.reports.spec import Schedule

MAX_SHIFT_DAYS = 31


def cron_trigger(cron: str, timezone: str = "UTC") -> CronTrigger:
    """Crontab text to a trigger in ``timezone``; six fields means a leading seconds field."""
    fields = cron.split()
    zone = zoneinfo.ZoneInfo(timezone)
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=zone
        )
    return CronTrigger.from_crontab(cron, timezone=zone)


@dataclass(frozen=True)
class Calendar:
    """Weekend days and holidays of one schedule."""

    weekend: frozenset[int]
    holiday: Callable[[dt.date], bool]

    @classmethod
    def of(cls, schedule: Schedule, extra_holidays: Iterable[dt.date] = ()) -> Calendar:
        extra = frozenset(extra_holidays)
        country = None
        if schedule.holiday_country:
            import holidays as holiday_calendars  # its many countries cost 70 ms at import: only when asked

            try:
                country = holiday_calendars.country_holidays(
                    schedule.holiday_country, subdiv=schedule.holiday_subdivision
                )
            except NotImplementedError:
                raise ValueError(f"no holiday calendar for country {schedule.holiday_country!r}") from None
        return cls(
            frozenset(schedule.weekend), lambda day: day in extra or (country is not None and day in country)
        )

    def business_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and not self.holiday(day)


def _fires(
    schedule: Schedule, start: dt.datetime, end: dt.datetime, limit: int = 100_000
) -> list[dt.datetime]:
    """Cron fire times (aware, in the schedule's zone) with ``start <= t < end``."""
    trigger = cron_trigger(schedule.cron or "", schedule.timezone)
    found: list[dt.datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end and len(found) < limit:
        found.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return found


def _fires_on(schedule: Schedule, day: dt.date) -> list[dt.datetime]:
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    return _fires(schedule, start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone))


def _plain(schedule: Schedule, calendar: Calendar, fire: dt.datetime) -> bool:
    """Whether a cron firing runs as it is (rules ``any`` and ``skip``, which move nothing)."""
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    return schedule.business_days == "any" or calendar.business_day(fire.astimezone(zone).date())


def runs_on(schedule: Schedule, calendar: Calendar, day: dt.date) -> list[dt.datetime]:
    """When the report runs on local date ``day`` (UTC, sorted, no repeats).

    A business day also takes the firings moved onto it: with ``next``, those of the non-business days
    just before it; with ``previous``, those of the non-business days just after it (each at its own
    local time of day; two firings landing on the same time run once)."""
    if not schedule.cron:
        return []
    rule = schedule.business_days
    if rule != "any" and not calendar.business_day(day):
        return []
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    times = set(_fires_on(schedule, day))
    if rule in ("next", "previous"):
        step = dt.timedelta(days=-1 if rule == "next" else 1)
        other = day + step
        for _ in range(MAX_SHIFT_DAYS):
            if calendar.business_day(other):
                break
            times |= {
                dt.datetime.combine(day, f.timetz().replace(tzinfo=None), zone)
                for f in _fires_on(schedule, other)
            }
            other += step
    return sorted({t.astimezone(dt.UTC) for t in times})


def next_runs(
    schedule: Schedule, calendar: Calendar, *, now: dt.datetime, count: int = 5, horizon_days: int = 400
) -> list[dt.datetime]:
    """The next ``count`` run times after ``now`` (UTC)."""
    if not schedule.cron:
        return []
    if schedule.business_days in ("any", "skip"):
        trigger, runs, fire = cron_trigger(schedule.cron, schedule.timezone), [], now
        while len(runs) < count:
            fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
            if fire is None or fire > now + dt.timedelta(days=horizon_days):
                break
            if _plain(schedule, calendar, fire):
                runs.append(fire.astimezone(dt.UTC))
        return runs
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    day = now.astimezone(zone).date()
    runs = []
    for _ in range(horizon_days):
        runs += [t for t in runs_on(schedule, calendar, day) if t > now]
        if len(runs) >= count:
            break
        day += dt.timedelta(days=1)
    return runs[:count]


def due(
    schedule: Schedule, calendar: Calendar, *, now: dt.datetime, grace: dt.timedelta
) -> dt.datetime | None:
    """The latest run time in ``[now - grace, now]`` (the run a firing at ``now`` stands for), if any."""
    if not schedule.cron:
        return None
    if schedule.business_days in ("any", "skip"):
        fires = _fires(schedule, now - grace, now + dt.timedelta(microseconds=1))
        ready = [f.astimezone(dt.UTC) for f in fires if _plain(schedule, calendar, f)]
        return max(ready) if ready else None
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    first, last = (now - grace).astimezone(zone).date(), now.astimezone(zone).date()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    ready = [t for d in days for t in runs_on(schedule, calendar, d) if now - grace <= t <= now]
    return max(ready) if ready else None

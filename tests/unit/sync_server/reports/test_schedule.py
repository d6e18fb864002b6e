"""Report schedules: cron in a time zone, business-day rules, holidays, next runs, the job trigger."""

import datetime as dt
import pickle

import pytest
from pydantic import ValidationError

from sync_server.reports.schedule import Calendar, due, next_runs, runs_on
from sync_server.reports.scheduler import ReportTrigger
from sync_server.reports.spec import Schedule

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def test_cron_runs_in_the_definitions_time_zone_across_a_dst_change():
    # 06:00 in Paris is 05:00 UTC in winter and 04:00 UTC in summer (DST starts 2026-03-29)
    schedule = Schedule(cron="0 6 * * *", timezone="Europe/Paris")
    runs = next_runs(schedule, Calendar.of(schedule), now=at("2026-03-27T12:00:00+00:00"), count=3)
    assert runs == [
        at("2026-03-28T05:00:00+00:00"),
        at("2026-03-29T04:00:00+00:00"),
        at("2026-03-30T04:00:00+00:00"),
    ]


def test_skip_leaves_out_weekends_and_holidays_from_master_data_and_the_country_calendar():
    schedule = Schedule(cron="0 6 * * *", business_days="skip", holiday_country="FR")
    calendar = Calendar.of(schedule, [dt.date(2026, 12, 23)])  # a master-data holiday (Wednesday)
    runs = next_runs(schedule, calendar, now=at("2026-12-21T12:00:00+00:00"), count=4)
    # Tue 22, (Wed 23 master data), Thu 24, (Fri 25 Christmas in FR), (weekend), Mon 28, Tue 29
    assert [r.date() for r in runs] == [dt.date(2026, 12, d) for d in (22, 24, 28, 29)]


def test_next_moves_weekend_firings_to_monday_and_runs_them_once():
    schedule = Schedule(cron="0 9 * * *", business_days="next")
    calendar = Calendar.of(schedule)
    # Saturday's and Sunday's 09:00 land on Monday 09:00, which also has its own firing: one run
    assert runs_on(schedule, calendar, dt.date(2026, 12, 7)) == [at("2026-12-07T09:00:00+00:00")]
    assert runs_on(schedule, calendar, dt.date(2026, 12, 5)) == []
    weekly = Schedule(cron="0 9 * * 6", business_days="next")  # Saturdays only
    assert next_runs(weekly, Calendar.of(weekly), now=at("2026-12-04T00:00:00+00:00"), count=1) == [
        at("2026-12-07T09:00:00+00:00")
    ]


def test_previous_moves_a_holiday_firing_back_to_the_business_day_before():
    schedule = Schedule(cron="30 7 25 * *", business_days="previous")  # the 25th of each month
    calendar = Calendar.of(schedule, [dt.date(2026, 12, 25)])
    # 2026-12-25 is a Friday holiday: the run moves to Thursday 24th; 2027-04-25 is a Sunday → Friday 23rd
    runs = next_runs(schedule, calendar, now=at("2026-12-01T00:00:00+00:00"), count=5)
    assert runs[0] == at("2026-12-24T07:30:00+00:00")
    assert at("2027-04-23T07:30:00+00:00") in runs


def test_due_finds_the_run_a_firing_stands_for_within_the_grace():
    schedule = Schedule(cron="*/5 * * * *")
    calendar = Calendar.of(schedule)
    grace = dt.timedelta(minutes=1)
    assert due(schedule, calendar, now=at("2026-12-07T10:05:30+00:00"), grace=grace) == at(
        "2026-12-07T10:05:00+00:00"
    )
    assert due(schedule, calendar, now=at("2026-12-07T10:07:30+00:00"), grace=grace) is None
    moved = Schedule(cron="0 9 * * 6", business_days="next")
    assert due(moved, Calendar.of(moved), now=at("2026-12-07T09:00:20+00:00"), grace=grace) == at(
        "2026-12-07T09:00:00+00:00"
    )


def test_bad_schedules_are_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="unknown time zone"):
        Schedule(cron="0 6 * * *", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="five fields"):
        Schedule(cron="every day")
    with pytest.raises(ValidationError):
        Schedule(cron="0 25 * * *")
    with pytest.raises(ValueError, match="no holiday calendar"):
        Calendar.of(Schedule(cron="0 6 * * *", holiday_country="QQ"))


def test_the_job_trigger_pickles_as_data_and_gives_the_next_run():
    schedule = Schedule(cron="0 9 * * 6", business_days="next", timezone="Africa/Nairobi")
    trigger = pickle.loads(pickle.dumps(ReportTrigger(schedule, [dt.date(2026, 12, 7)])))
    # Saturday 09:00 Nairobi → Monday 7th is a holiday → Tuesday 8th 09:00 EAT (06:00 UTC)
    assert trigger.get_next_fire_time(None, at("2026-12-04T00:00:00+00:00")) == at(
        "2026-12-08T06:00:00+00:00"
    )

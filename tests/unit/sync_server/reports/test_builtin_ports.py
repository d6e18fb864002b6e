"""Report functions read only through their ports: a fake ``ProcessingJobs`` is enough to run them."""

import datetime as dt

from sync_server.reports.builtin import ReportContext, kiosk_sync_lag, registrations_per_center_per_day

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


class FakeJobs:
    def received_since(self, since):
        day = NOW - dt.timedelta(hours=1)
        return [("10001", day, "processed"), ("10001", day, "rejected"), (None, day, "queued")]

    def count_per_operator(self, since):
        return []

    def count_rejections(self, since):
        return []

    def count_unfinished(self, before):
        return []

    def last_enqueued_per_machine(self):
        return [("M1", NOW - dt.timedelta(hours=2)), ("M9", NOW), (None, NOW)]


def test_per_center_per_day_groups_what_the_port_returns():
    table = registrations_per_center_per_day(ReportContext(FakeJobs(), now=NOW), {})
    assert table.rows == [["10001", "2026-12-01", 1, 1, 2], ["unknown", "2026-12-01", 0, 0, 1]]


def test_sync_lag_lists_known_machines_only_when_a_registry_is_given():
    synced = NOW - dt.timedelta(hours=5)
    known = ReportContext(FakeJobs(), now=NOW, machine_sync_times=lambda: {"M1": (synced, None)})
    assert [row[0] for row in kiosk_sync_lag(known, {}).rows] == ["M1"]
    assert kiosk_sync_lag(known, {}).rows[0][2:5:2] == [5.0, 2.0]
    anyone = ReportContext(FakeJobs(), now=NOW, machine_sync_times=lambda: None)
    assert [row[0] for row in kiosk_sync_lag(anyone, {}).rows] == ["M1", "M9"]

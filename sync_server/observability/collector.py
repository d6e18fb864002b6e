"""The server's scrape-time gauges: the database figures (``readings.read_gauges``) and the disk.

Cheap and bounded: the database is read at most once per ``min_interval_s`` however many scrapers
ask (answers in between reuse the last reading), by one scrape at a time; a failed read is logged and
shows as ``openreg_database_up 0`` instead of failing the scrape.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync_server.observability.readings import Readings, read_gauges

log = logging.getLogger(__name__)


class ServerCollector(Collector):
    """Database and disk gauges of one server (its engine, data dir and packet dir)."""

    def __init__(
        self, engine: Engine, *, folders: dict[str, Path], min_free_bytes: int, min_interval_s: float = 10.0
    ) -> None:
        self.engine, self.folders, self.min_free_bytes = engine, folders, min_free_bytes
        self.min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._last: tuple[float, Readings | None, float] | None = None  # (monotonic, readings, seconds)

    def collect(self) -> Iterator[Metric]:
        readings, took = self._readings()
        up = GaugeMetricFamily("openreg_database_up", "1 when the last read of the database's figures worked")
        up.add_metric([], 1 if readings is not None else 0)
        yield up
        read = GaugeMetricFamily(
            "openreg_database_read_seconds", "How long reading the database's figures took"
        )
        read.add_metric([], took)
        yield read
        if readings is not None:
            yield from _database_families(readings)
        yield from self._disk()

    def _readings(self) -> tuple[Readings | None, float]:
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self.min_interval_s:
                return self._last[1], self._last[2]
            started = time.monotonic()
            try:
                with Session(self.engine) as session:
                    readings: Readings | None = read_gauges(session)
            except Exception as exc:  # the scrape must still answer: database_up 0 says it
                log.warning("metrics: cannot read the database's figures: %s", type(exc).__name__)
                readings = None
            took = time.monotonic() - started
            self._last = (time.monotonic(), readings, took)
            return readings, took

    def _disk(self) -> Iterator[Metric]:
        free = GaugeMetricFamily(
            "openreg_disk_free_bytes", "Free bytes for the server's files", labels=["folder"]
        )
        total = GaugeMetricFamily("openreg_disk_size_bytes", "Size of the file system", labels=["folder"])
        for name, folder in self.folders.items():
            try:
                usage = shutil.disk_usage(folder)
            except OSError:
                continue
            free.add_metric([name], usage.free)
            total.add_metric([name], usage.total)
        yield free
        yield total
        floor = GaugeMetricFamily(
            "openreg_disk_min_free_bytes", "The server refuses to start with less free (min_free_disk_mb)"
        )
        floor.add_metric([], self.min_free_bytes)
        yield floor


def _database_families(r: Readings) -> Iterator[Metric]:
    packets = GaugeMetricFamily(
        "openreg_packets", "Packets known to the server, by status", labels=["status"]
    )
    for status, count in sorted(r.packets.items()):
        packets.add_metric([status], count)
    yield packets
    yield _gauge(
        "openreg_packets_oldest_received_age_seconds",
        "Age of the oldest packet received but not yet taken by a processing worker (0: none)",
        r.oldest_received_age_s,
    )
    jobs = GaugeMetricFamily(
        "openreg_processing_jobs", "Processing jobs not finished, by status", labels=["status"]
    )
    for status, count in r.jobs.items():
        jobs.add_metric([status], count)
    yield jobs
    yield _gauge(
        "openreg_processing_queue_depth", "Processing jobs queued, running or waiting to retry", r.queue_depth
    )
    yield _gauge(
        "openreg_processing_oldest_job_age_seconds",
        "Age of the oldest queued, running or retrying processing job (0: none)",
        r.oldest_waiting_job_age_s,
    )
    ages = GaugeHistogramMetricFamily(
        "openreg_kiosk_sync_age_hours",
        "Approved kiosks by hours since their last master-data sync (since approval if never synced)",
    )
    ages.add_metric([], [(_le(h), n) for h, n in r.kiosk_buckets] + [("+Inf", r.kiosks)], r.kiosk_hours_sum)
    yield ages
    yield _gauge(
        "openreg_kiosks_never_synced", "Approved kiosks that have never synced", r.kiosks_never_synced
    )
    yield _counter(
        "openreg_report_runs", "Report runs in the run history, by status", "status", r.report_runs
    )
    yield _counter(
        "openreg_report_deliveries", "Report delivery attempts, by outcome", "outcome", r.report_deliveries
    )


def _le(hours: float) -> str:
    return f"{hours:g}"


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def _counter(name: str, documentation: str, label: str, counts: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


class Exposition:
    """What one ``/metrics`` answer shows: the process-wide registry plus this server's collector."""

    def __init__(self, *sources: Collector | Iterable) -> None:
        self.sources = sources or (REGISTRY,)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()

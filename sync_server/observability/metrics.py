"""The process-wide instruments: HTTP requests, packet upload bytes, processing stages.

They live in prometheus_client's default registry (which also carries the process collector: CPU,
memory, open files, start time). A server exposes them on ``/metrics`` with its database gauges
(``collector``); an ``openreg worker`` on its own metrics port (``worker_endpoint``). Every label value
is bounded: route templates (never raw paths, so no RID ends up in a label), known methods, stage names
and outcomes from the code.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics

from sync_server import __version__

# Counters without their ``_created`` twin series: fewer series, nothing lost for rate() and increase().
disable_created_metrics()

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
STAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

BUILD = Info("openreg_build", "OpenReg version of this process")
BUILD.info({"version": __version__})

HTTP_REQUESTS = Counter(
    "openreg_http_requests", "HTTP requests answered, by route template", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "openreg_http_request_duration_seconds",
    "Time from a request's arrival to its last response byte, by route template",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge("openreg_http_requests_in_flight", "HTTP requests being served now")
UPLOAD_BYTES = Counter(
    "openreg_packet_upload_bytes",
    "Sealed-packet bytes received in upload requests (PATCH under /api/v1/packets)",
)
STAGE_DURATION = Histogram(
    "openreg_processing_stage_duration_seconds",
    "Time one processing stage took on one packet, whatever its outcome",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
STAGE_RUNS = Counter(
    "openreg_processing_stage_runs",
    "Processing stage runs by outcome (passed, rejected, held, failed: failed ones are retried)",
    ["stage", "outcome"],
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """One answered request: ``route`` is the route template (``/api/v1/packets/{rid}/content``)."""
    method = method if method in METHODS else "OTHER"
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def count_upload_bytes(count: int) -> None:
    """``count`` more bytes of sealed packets received."""
    UPLOAD_BYTES.inc(count)


def observe_stage(*, stage: str, outcome: str, seconds: float) -> None:
    """One stage run on one packet (called by the processing pipeline, in a server or a worker)."""
    STAGE_DURATION.labels(stage).observe(seconds)
    STAGE_RUNS.labels(stage, outcome).inc()

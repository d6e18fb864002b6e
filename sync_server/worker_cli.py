"""``openreg worker --db URL --data DIR``: extra processing workers against the server's database.

Run as many as you like, on any machine that sees the database and the packet files; on
PostgreSQL they share the queue through ``FOR UPDATE SKIP LOCKED``. Ctrl-C / SIGTERM stops after
the packet in hand and exits 0 (a SIGKILL is safe too: the claim's lease, renewed while the packet
runs, expires within seconds and another worker retries). ``--metrics-port`` serves the worker's own
Prometheus metrics (stage durations and outcomes); docs/operations.md says why a port per worker.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click
from pydantic import SecretStr

from sync_server.bootstrap import build_backend
from sync_server.cli_options import cli_settings, log_format_option, log_level_option
from sync_server.keys import KeyFileError
from sync_server.observability.logs import configure_logging
from sync_server.observability.worker_endpoint import MetricsServer
from sync_server.processing.queue import DEFAULT_LEASE

log = logging.getLogger(__name__)


@click.command("worker")
@click.option(
    "--db", "db_url", envvar="OPENREG_DB", help="SQLAlchemy URL of the server DB [default: DATA/server.db]."
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    envvar="OPENREG_DATA",
    help="The server data dir (keys, packet files).",
)
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option(
    "--lease-seconds",
    default=DEFAULT_LEASE.total_seconds(),
    show_default=True,
    type=click.FloatRange(1, 3600),
    envvar="OPENREG_SERVER_PROCESSING_LEASE_S",
    help="A claim's lease, renewed while a packet runs: a killed worker's packet is retried after this.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    envvar="OPENREG_WORKER_METRICS_PORT",
    help="Serve this worker's Prometheus metrics at http://HOST:PORT/metrics (0: a free port).",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    envvar="OPENREG_WORKER_METRICS_HOST",
    help="Address of the metrics port; beyond loopback, set OPENREG_SERVER_METRICS_TOKEN.",
)
@log_format_option
@log_level_option
def worker(
    db_url: str | None,
    data_dir: Path,
    threads: int,
    lease_seconds: float,
    metrics_port: int | None,
    metrics_host: str,
    log_format: str | None,
    log_level: str | None,
) -> None:
    """Process received packets from the shared database queue until stopped."""
    # The server's settings (OPENREG_SERVER_* too) and engine settings (SQLite: WAL, busy timeout).
    settings = cli_settings(
        data_dir=data_dir,
        db_url=db_url,
        processing_lease_s=lease_seconds,
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(log_format=settings.log_format, level=settings.log_level, process="worker")
    try:
        backend = build_backend(
            settings, threads=threads, on_finished=lambda rid, status: click.echo(f"{rid} {status}")
        )
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = backend.engine
    metrics = _metrics_server(metrics_host, metrics_port, settings.metrics_token)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    backend.start(workers=threads, scheduler=False)
    click.echo(f"worker: {threads} thread(s) on {engine.url.render_as_string(hide_password=True)}")
    if metrics is not None:
        metrics.start()
        click.echo(f"worker: metrics at {metrics.url}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("worker stopping: finishing the packets in hand")
        backend.stop()
        engine.dispose()
        if metrics is not None:
            metrics.stop()
        log.info("worker stopped")


def _metrics_server(host: str, port: int | None, token: SecretStr | None) -> MetricsServer | None:
    if port is None:
        return None
    try:
        return MetricsServer(host=host, port=port, token=token)
    except OSError as exc:
        raise click.ClickException(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from exc

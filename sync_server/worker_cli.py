"""``openreg worker --db URL --data DIR``: extra processing workers against the server's database.

Run as many as you like, on any machine that sees the database and the packet files; on
PostgreSQL they share the queue through ``FOR UPDATE SKIP LOCKED``. Ctrl-C / SIGTERM stops after
the packet in hand (a SIGKILL is safe too: the claim's lease, renewed while the packet runs,
expires within seconds and another worker retries).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click

from sync_server.bootstrap import build_backend
from sync_server.cli_options import cli_settings
from sync_server.keys import KeyFileError
from sync_server.processing.queue import DEFAULT_LEASE


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
def worker(db_url: str | None, data_dir: Path, threads: int, lease_seconds: float) -> None:
    """Process received packets from the shared database queue until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The server's settings (OPENREG_SERVER_* too) and engine settings (SQLite: WAL, busy timeout).
    settings = cli_settings(data_dir=data_dir, db_url=db_url, processing_lease_s=lease_seconds)
    try:
        backend = build_backend(
            settings, threads=threads, on_finished=lambda rid, status: click.echo(f"{rid} {status}")
        )
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = backend.engine
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    backend.start(workers=threads, scheduler=False)
    click.echo(f"worker: {threads} thread(s) on {engine.url.render_as_string(hide_password=True)}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
        engine.dispose()

"""``openreg worker --db URL --data DIR``: extra processing workers against the server's database.

Run as many as you like, on any machine that sees the database and the packet files; on
PostgreSQL they share the queue through ``FOR UPDATE SKIP LOCKED``. Ctrl-C / SIGTERM stops after
the packet in hand (a SIGKILL is safe too: the claim's lease, renewed while the packet runs,
expires within seconds and another worker retries).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from pathlib import Path

import click

from shared.packet import load_identities
from sync_server.db.engine import make_engine
from sync_server.processing.bootstrap import Backend
from sync_server.processing.queue import DEFAULT_LEASE
from sync_server.services.masterdata_history import DbMasterDataHistory


def server_identities(data_dir: Path) -> list[str]:
    """Every age identity under DATA/keys (``packet-identity*.txt``): keeping an old file after a key
    rotation keeps packets sealed to the old key id readable."""
    files = sorted((data_dir / "keys").glob("packet-identity*.txt"))
    if not files:
        raise click.ClickException(
            f"no packet identity under {data_dir / 'keys'}; start the server once first"
        )
    return [identity for path in files for identity in load_identities(path)]


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
    db_url = db_url or f"sqlite:///{data_dir / 'server.db'}"  # the server's own default
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The server's engine settings (SQLite: WAL, busy timeout); no pre-ping, see make_engine.
    engine = make_engine(db_url, pre_ping=False, pool_size=threads + 2)
    backend = Backend(
        engine=engine,
        data_dir=data_dir,
        identities=server_identities(data_dir),
        reload_identities=lambda: server_identities(data_dir),
        master=DbMasterDataHistory(engine),
        on_finished=lambda rid, status: click.echo(f"{rid} {status}"),
        lease=dt.timedelta(seconds=lease_seconds),
    )
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

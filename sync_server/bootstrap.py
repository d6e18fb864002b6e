"""The one composition root of a server process: settings -> engine -> keys -> state -> backend.

``openreg server`` (runner.serve), ``openreg worker`` and the ``openreg admin`` commands build what
they need here, always from one ``ServerSettings``. Nothing connects or reads a key at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.exit_codes import BAD_INPUT
from shared.packet import load_identities
from sync_server.backend import Backend
from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.db.tables import ChangeRow
from sync_server.files import private_dir
from sync_server.keys import KeyFileError, load_or_create_keys
from sync_server.services import masterdata
from sync_server.services.blob_store import BlobStore
from sync_server.services.blob_store_open import open_blob_store
from sync_server.services.masterdata_history import DbMasterDataHistory
from sync_server.settings import ServerSettings
from sync_server.state import ServerState

DEMO_DATA_DIR = Path(__file__).parent / "demo_data"


class SettingsError(ValueError):
    """The given settings (flags, environment) do not validate."""

    exit_code = BAD_INPUT


def load_settings(**values: Any) -> ServerSettings:
    """``ServerSettings`` from the given values (None: not given, so environment or default)."""
    try:
        return ServerSettings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
        raise SettingsError(f"invalid settings: {problems}") from exc


def open_engine(settings: ServerSettings, *, pre_ping: bool = True, pool_size: int = 20) -> Engine:
    """The server's engine settings (SQLite: WAL, busy timeout) on ``settings.database_url``; no migration."""
    return make_engine(settings.database_url, pre_ping=pre_ping, pool_size=pool_size)


def open_database(db_url: str) -> Engine:
    """An engine on ``db_url`` with the server's engine settings, for commands given only ``--db``."""
    return make_engine(db_url)


def demo_files() -> list[Path]:
    """Every import file in demo_data (JSON documents and <entity>.csv), in a stable order."""
    return sorted(p for p in DEMO_DATA_DIR.iterdir() if p.suffix in (".json", ".csv"))


def build_state(settings: ServerSettings) -> ServerState:
    """The request side: private data dir, migrated engine, server keys, blob store (and demo data)."""
    private_dir(settings.data_dir)
    engine = open_engine(settings)
    migrate(engine, data_dir=settings.data_dir)
    keys = load_or_create_keys(settings.data_dir)
    state = ServerState(
        settings=settings,
        engine=engine,
        keys=keys,
        blobs=open_blob_store(settings),
    )
    if settings.demo:
        load_demo_data_once(state)
    return state


def load_demo_data_once(state: ServerState) -> None:
    """On first start (empty change log) import the demo master data, all files in one transaction."""
    with Session(state.engine) as session, session.begin():
        if session.scalar(select(ChangeRow.seq).limit(1)) is not None:
            return
        masterdata.import_paths(session, demo_files(), actor="system:demo-data")


def server_identities(data_dir: Path) -> list[str]:
    """Every age identity under DATA/keys (``packet-identity*.txt``): keeping an old file after a key
    rotation keeps packets sealed to the old key id readable. KeyFileError when there is none."""
    files = sorted((data_dir / "keys").glob("packet-identity*.txt"))
    if not files:
        raise KeyFileError(f"no packet identity under {data_dir / 'keys'}; start the server once first")
    return [identity for path in files for identity in load_identities(path)]


def build_backend(
    settings: ServerSettings,
    *,
    threads: int,
    reports_engine: Engine | None = None,
    on_finished: Callable[[str, str], None] | None = None,
    blobs: BlobStore | None = None,
) -> Backend:
    """The processing backend (not started) with its own engine on the server's database.

    The workers' engine has no pre-ping, for everything they read and write (queue, ID store,
    master-data history): a ping per checkout would add about ten round trips to every packet. The
    server passes its request engine (pre-ping) as ``reports_engine``: a report fires hours apart, so
    after a database restart its pooled connection would be stale. ``blobs``: the packet store
    (default: the one ``settings`` name; workers read published packets from it)."""
    data_dir = settings.data_dir
    engine = open_engine(settings, pre_ping=False, pool_size=threads + 4)
    return Backend(
        engine=engine,
        data_dir=data_dir,
        identities=server_identities(data_dir),
        reload_identities=lambda: server_identities(data_dir),
        master=DbMasterDataHistory(engine),
        reports_engine=reports_engine,
        report_folders=settings.report_folders,
        lease=dt.timedelta(seconds=settings.processing_lease_s),
        on_finished=on_finished,
        abis_url=settings.abis_url,
        abis_timeout_s=settings.abis_timeout_s,
        blobs=blobs or open_blob_store(settings),
    )


def start_backend(state: ServerState) -> Backend:
    """The server's in-process backend: ``settings.workers`` processing threads and the report scheduler."""
    backend = build_backend(
        state.settings, threads=state.settings.workers, reports_engine=state.engine, blobs=state.blobs
    )
    backend.start(workers=state.settings.workers)
    return backend

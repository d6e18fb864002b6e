"""Composition root: settings -> engine (migrated) -> keys -> blob store -> ServerState; demo data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.db.tables import ChangeRow
from sync_server.files import private_dir
from sync_server.keys import load_or_create_keys
from sync_server.services import masterdata
from sync_server.services.blob_store import BlobStore
from sync_server.settings import ServerSettings
from sync_server.state import ServerState

DEMO_DATA_DIR = Path(__file__).parent / "demo_data"


def demo_files() -> list[Path]:
    """Every import file in demo_data (JSON documents and <entity>.csv), in a stable order."""
    return sorted(p for p in DEMO_DATA_DIR.iterdir() if p.suffix in (".json", ".csv"))


def build_state(settings: ServerSettings) -> ServerState:
    private_dir(settings.data_dir)
    engine = make_engine(settings.database_url)
    migrate(engine, data_dir=settings.data_dir)
    keys = load_or_create_keys(settings.data_dir)
    state = ServerState(
        settings=settings,
        engine=engine,
        keys=keys,
        blobs=BlobStore(settings.blob_dir, crash_at=settings.test_crash_at),
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

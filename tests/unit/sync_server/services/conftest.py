"""A server database with the models' tables (SQLite, per test) and a local blob store beside it."""

import pytest
from sqlalchemy import create_engine

from sync_server.db.tables import Base
from sync_server.services.blob_store import LocalBlobStore


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def blobs(tmp_path):
    return LocalBlobStore(tmp_path / "packets")

"""The sync-server integration suite runs once on SQLite and once on a real PostgreSQL cluster."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_cluster").create_database()


@pytest.fixture
def server(start_sync_server, tmp_path, db_url):
    """A demo server (auto-approves machines) on the parametrised database."""
    return start_sync_server(tmp_path / "server", db_url=db_url)

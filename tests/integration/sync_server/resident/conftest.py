"""One real server per module and database (SQLite, then PostgreSQL), and its registrations."""

from __future__ import annotations

import pytest

from tests.integration.sync_server.resident.world import Registrations
from tests.support.server import RunningServer


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def resident_server(request, tmp_path_factory):
    db_url = None
    if request.param == "postgresql":
        db_url = request.getfixturevalue("postgres_cluster").create_database()
    server = RunningServer(tmp_path_factory.mktemp("resident") / "server", db_url=db_url, demo=True, env=None)
    yield server
    server.kill()


@pytest.fixture(scope="module")
def registrations(resident_server) -> Registrations:
    made = Registrations(resident_server)
    yield made
    made.engine.dispose()

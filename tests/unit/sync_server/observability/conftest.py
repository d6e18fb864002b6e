"""A real server state (migrated SQLite, keys, blob store) and the real app over it, in process."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.observability.logs import make_handler
from sync_server.settings import ServerSettings
from sync_server.state import ServerState

LOOPBACK = ("127.0.0.1", 50000)


def make_state(data_dir: Path, **settings: object) -> ServerState:
    return build_state(ServerSettings(data_dir=data_dir, **settings))


@pytest.fixture(scope="module")
def shared_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerState]:
    """One state for the tests that only read (no demo data: fast to build)."""
    state = make_state(tmp_path_factory.mktemp("observability") / "server")
    yield state
    state.engine.dispose()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[ServerState]:
    """A state of the test's own, for tests that change files or rows."""
    state = make_state(tmp_path / "server")
    yield state
    state.engine.dispose()


@pytest.fixture(scope="module")
def loopback_client(shared_state: ServerState) -> TestClient:
    return TestClient(create_app(shared_state), client=LOOPBACK)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above during the test, as the server's JSON lines."""
    stream = io.StringIO()
    handler = make_handler(log_format="json", process="server", stream=stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)

"""Disk-full errors become 507 ``disk_full`` (not a bare 500): a real SQLite database that runs out of
pages, and a real ENOSPC from writing to /dev/full, raised inside a route of an app with the server's
error handlers."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.errors import install_error_handlers, is_disk_full


@pytest.fixture
def full_sqlite(tmp_path: Path) -> sa.Engine:
    """A SQLite database capped at a few pages: the next big insert fails with SQLITE_FULL."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'full.db'}")

    @sa.event.listens_for(engine, "connect")
    def _cap(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 8")

    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE blobs (data BLOB)")
    return engine


def _app(full_sqlite: sa.Engine) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/db")
    def write_db() -> None:
        with full_sqlite.begin() as conn:
            conn.exec_driver_sql("INSERT INTO blobs VALUES (zeroblob(100000))")

    @app.post("/file")
    def write_file() -> None:
        with open("/dev/full", "wb") as handle:  # always ENOSPC on write
            handle.write(b"x" * 4096)
            handle.flush()

    @app.post("/other")
    def other_os_error() -> None:
        raise PermissionError(errno.EACCES, "denied")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/db", "/file"])
def test_disk_full_is_507(full_sqlite, path):
    if path == "/file" and not Path("/dev/full").exists():
        pytest.skip("/dev/full is missing on this system")
    response = _app(full_sqlite).post(path)
    assert response.status_code == 507
    assert response.json()["code"] == "disk_full"
    assert response.headers["retry-after"]


def test_other_os_errors_stay_500(full_sqlite):
    response = _app(full_sqlite).post("/other")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"


def test_postgres_disk_full_sqlstate_is_recognised():
    psycopg = pytest.importorskip("psycopg")
    assert is_disk_full(psycopg.errors.DiskFull("could not extend file"))
    assert not is_disk_full(psycopg.errors.UniqueViolation("duplicate key"))


@pytest.mark.postgres
def test_a_value_postgresql_cannot_store_is_422_not_500(postgres_url):
    engine = sa.create_engine(postgres_url)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/nul")
    def nul() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT CAST(:v AS text)"), {"v": "a\x00b"})

    @app.get("/big")
    def big() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT CAST(:v AS integer)"), {"v": 2**40})

    client = TestClient(app, raise_server_exceptions=False)
    try:
        for path in ("/nul", "/big"):
            response = client.get(path)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["code"] == "validation_error"
    finally:
        engine.dispose()

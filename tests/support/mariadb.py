"""A real MariaDB server for tests: session-scoped, in a temp dir, on a free loopback port.

Fixtures: ``mariadb_server`` (session; a :class:`MariaDbServer`, skips when the Debian mariadb-server
binaries are missing) and ``mariadb_url`` (a fresh empty database per test, as a ``mysql+pymysql://``
URL for the passwordless ``root`` user on 127.0.0.1). Outside pytest: ``with running_server() as s``.
mariadbd refuses to run as root, so as root it is told to switch to the ``mysql`` system user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.ports import free_port

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
# Small and unsafe on purpose: a throwaway server that starts in about a second.
SERVER_OPTIONS = (
    "--skip-log-bin",
    "--skip-name-resolve",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=8M",
    "--innodb-flush-log-at-trx-commit=0",
    "--max-connections=200",
)


class MariaDbServer:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="openreg-mariadb-"))
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "mysql", "mysql")
            self._as_user = ["--user=mysql"]
        self.port = free_port()
        self.data = self.base / "data"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                *self._as_user,
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *SERVER_OPTIONS,
            ],
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                *self._as_user,
                f"--datadir={self.data}",
                f"--socket={self.base / 'mysqld.sock'}",
                f"--pid-file={self.base / 'mysqld.pid'}",
                f"--log-error={self.base / 'error.log'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--skip-networking=0",
                "--innodb-fast-shutdown=2",  # the files are deleted next: skip the flush
                *SERVER_OPTIONS,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        import pymysql

        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                log = (self.base / "error.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mariadbd exited: {log}")
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1).close()
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # mariadbd shuts down cleanly on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "") -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import pymysql

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with pymysql.connect(host="127.0.0.1", port=self.port, user="root") as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return self.url(name)


def mariadb_available() -> bool:
    return Path(MARIADBD).exists() and Path(INSTALL_DB).exists()


@contextmanager
def running_server() -> Iterator[MariaDbServer]:
    """Start a throwaway server; stop it and delete its files afterwards."""
    server = MariaDbServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDbServer]:
    if not mariadb_available():
        pytest.skip("MariaDB server binaries (mariadbd, mariadb-install-db) are not installed")
    with running_server() as server:
        yield server


@pytest.fixture
def mariadb_url(mariadb_server: MariaDbServer) -> str:
    return mariadb_server.create_database()

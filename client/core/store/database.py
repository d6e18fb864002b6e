"""The one facade over the kiosk's encrypted SQLite (SQLCipher) database.

The key and the SQLAlchemy engine stay private here; services get short transactions through
:meth:`Store.transaction`. Durability: WAL with ``synchronous=FULL`` so a committed transaction survives a
power cut, and every transaction is BEGIN IMMEDIATE so two threads never interleave writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import QueuePool

from client.core.store.migrations import LATEST, current_version, migrate


class StoreError(RuntimeError):
    """The database could not be opened (wrong key, not a SQLCipher file, newer schema)."""


class Store:
    """Encrypted client DB. Thread-safe: each call checks a connection out of a small pool."""

    def __init__(self, *, path: Path, key: bytes, migrate_to: int = LATEST, encrypted: bool = True) -> None:
        if len(key) != 32:
            raise StoreError("the database key must be 32 bytes")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.__engine = self.__make_engine(path=path, key=key, encrypted=encrypted)
        self._write_lock = threading.RLock()
        try:
            with self.transaction() as conn:
                self.applied_migrations = migrate(conn, target=migrate_to)
        except Exception as exc:
            self.__engine.dispose()
            if "file is not a database" in str(exc) or "encrypted" in str(exc):
                raise StoreError(f"{path} cannot be opened with this key (or is not an OpenReg DB)") from exc
            raise

    @staticmethod
    def __make_engine(*, path: Path, key: bytes, encrypted: bool) -> Engine:
        if encrypted:
            # The pysqlcipher dialect sends `pragma key="<password>"`; x'..' makes SQLCipher use the 256-bit
            # key as is (no PBKDF2 over a passphrase, which would cost ~1 s per connection).
            url = URL.create("sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path))
        else:  # plain SQLite: only for the benchmark's overhead comparison
            url = URL.create("sqlite", database=str(path))
        engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=4)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # runs after the dialect's `pragma key`
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work: committed on normal exit, rolled back on any exception."""
        with self._write_lock, self.__engine.begin() as conn:
            yield conn

    @property
    def schema_version(self) -> int:
        with self.__engine.connect() as conn:
            return current_version(conn)

    def close(self) -> None:
        self.__engine.dispose()

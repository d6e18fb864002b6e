"""The one facade over the kiosk's encrypted SQLite (SQLCipher) database.

The key and the SQLAlchemy engine stay private here; services get short transactions through
:meth:`Store.transaction`. Durability: WAL with ``synchronous=FULL`` so a committed transaction survives a
power cut, and every transaction is BEGIN IMMEDIATE so two threads never interleave writes.

Speed (issue 22): the key is a raw 256-bit key, so SQLCipher derives nothing from a passphrase. New
databases use 16 KiB pages (SQLCipher encrypts and authenticates each page: a quarter as many of them);
files made before keep the 4 KiB pages they were made with, found by trying the key on the first page.
:meth:`Store.bulk_transaction` gives one large write (a master-data snapshot) a 64 MiB page cache, so
pages are not spilled, encrypted and read back while it runs.
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

NEW_PAGE_SIZE = 16384
LEGACY_PAGE_SIZE = 4096  # SQLCipher 4's default, which databases made before issue 22 have
BULK_CACHE_KIB = 65536


class StoreError(RuntimeError):
    """The database could not be opened (wrong key, not a SQLCipher file, newer schema)."""


def _page_size(path: Path, key: bytes) -> int:
    """The page size of the SQLCipher file at ``path``: NEW_PAGE_SIZE for a new file; for an existing
    one the size under which the key opens it (LEGACY_PAGE_SIZE too when nothing opens it: the wrong
    key is then reported by the first transaction, as before)."""
    if not path.exists() or path.stat().st_size == 0:
        return NEW_PAGE_SIZE
    import sqlcipher3  # the kiosk extra's driver, as SQLAlchemy's pysqlcipher dialect uses it

    quiet = sqlcipher3.connect(":memory:")  # SQLCipher logs every failed page check: not for a probe
    level = quiet.execute("PRAGMA cipher_log_level").fetchone()[0]
    quiet.execute("PRAGMA cipher_log_level = NONE")
    try:
        for size in (LEGACY_PAGE_SIZE, NEW_PAGE_SIZE):  # kiosks installed before keep their 4 KiB pages
            probe = sqlcipher3.connect(str(path))
            try:
                probe.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                probe.execute(f"PRAGMA cipher_page_size = {size}")
                probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return size
            except sqlcipher3.DatabaseError:
                continue
            finally:
                probe.close()
    finally:
        quiet.execute(f"PRAGMA cipher_log_level = {level}")
        quiet.close()
    return LEGACY_PAGE_SIZE


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
            # The pysqlcipher dialect sends `pragma key="<password>"` then the cipher pragmas of the
            # query; x'..' makes SQLCipher use the 256-bit key as is (no PBKDF2 over a passphrase, which
            # would cost ~1 s per connection).
            query = {"cipher_page_size": str(_page_size(path, key))}
            url = URL.create(
                "sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path), query=query
            )
        else:  # plain SQLite: only for the benchmark's overhead comparison
            url = URL.create("sqlite", database=str(path))
        engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=4)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # runs after the dialect's `pragma key`
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_conn.cursor()
            if not encrypted:  # the same page size as SQLCipher's new files (only a new file takes it)
                cursor.execute(f"PRAGMA page_size={NEW_PAGE_SIZE}")
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

    @contextmanager
    def bulk_transaction(self) -> Iterator[Connection]:
        """:meth:`transaction` for one large write (a snapshot of a million rows): its connection has a
        BULK_CACHE_KIB page cache while it runs, and the usual one again after the commit."""
        with self._write_lock, self.__engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # pragmas outside the transaction SQLAlchemy begins
            before = raw.execute("PRAGMA cache_size").fetchone()[0]
            raw.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute(f"PRAGMA cache_size = {before}")

    @property
    def schema_version(self) -> int:
        with self.__engine.connect() as conn:
            return current_version(conn)

    def close(self) -> None:
        self.__engine.dispose()

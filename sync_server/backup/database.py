"""The database part of a backup: a consistent snapshot, dumped and read in the same state.

SQLite: the online backup API copies the live database (servers may keep writing) into the backup
folder; that copy, opened read-only and immutable, answers every later question (counts, which
packets exist), so the manifest describes exactly the dumped data. PostgreSQL: a REPEATABLE READ
transaction exports its snapshot, ``pg_dump --snapshot`` dumps that very state, and the same
transaction (held open until the backup's files are copied) answers the questions.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sync_server.backup import postgres
from sync_server.backup.files import Progress, sync_dir
from sync_server.backup.manifest import BackupError, Counts, DatabaseKind
from sync_server.db.engine import SQLITE_SIDE_FILES, make_engine
from sync_server.db.tables import PacketRow
from sync_server.files import open_private, private_dir
from sync_server.idstore.tables import identities, uins

DUMP_NAMES = {"sqlite": "server.sqlite", "postgresql": "server.pgdump"}
_PAGES_PER_STEP = 1024
_packets = PacketRow.__table__


def database_kind(url: str) -> DatabaseKind:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL databases, not {backend}")
    return backend  # type: ignore[return-value]


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{url} names no SQLite database file")
    return Path(database)


def _sqlite_uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path.resolve()))}?mode={mode}"


def read_only_engine(path: Path):
    """An engine that reads the SQLite file ``path`` and can never change it (immutable, read-only)."""
    uri = _sqlite_uri(path, "ro") + "&immutable=1"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)


@dataclass(frozen=True)
class Snapshot:
    """The dumped database: ``conn`` reads it exactly as dumped; ``path`` is the dump file."""

    conn: Connection
    path: Path
    schema_revision: str | None


def _revision(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(heads) or None


def _copy_sqlite(source: Path, target: Path, *, progress: Progress, label: str, mode: str) -> None:
    """The SQLite online backup API from ``source`` (opened with ``mode``: rw for a live database, ro
    and immutable for a backup file) into ``target`` via a temporary file; rollback journal mode."""
    temporary = target.with_name(f".{target.name}.copying")
    temporary.unlink(missing_ok=True)
    os.close(open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    uri = _sqlite_uri(source, mode) + ("&immutable=1" if mode == "ro" else "")
    try:
        src = sqlite3.connect(uri, uri=True, timeout=30)
        dst = sqlite3.connect(temporary)
        try:
            total = src.execute("PRAGMA page_count").fetchone()[0]
            with progress(label, total) as advance:
                done = 0

                def step(_status: int, remaining: int, pages: int) -> None:
                    nonlocal done
                    advance(max(0, pages - remaining - done))
                    done = max(done, pages - remaining)

                # A live database (rw) is copied in one step, one read transaction: in WAL mode writers
                # go on, and a step-wise copy would start again after every write by a server process.
                src.backup(dst, pages=_PAGES_PER_STEP if mode == "ro" else -1, progress=step)
                advance(max(0, total - done))
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
            src.close()
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_dir(target.parent)


@contextlib.contextmanager
def dumped(url: str, folder: Path, *, progress: Progress) -> Iterator[Snapshot]:
    """Dump the database at ``url`` into ``folder``; yield the snapshot, readable until exit."""
    kind = database_kind(url)
    target = private_dir(folder) / DUMP_NAMES[kind]
    if kind == "sqlite":
        source = sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"no database at {source}: is --data (or --db) the server's?")
        _copy_sqlite(source, target, progress=progress, label="database", mode="rw")
        engine = read_only_engine(target)
        try:
            with engine.connect() as conn:
                yield Snapshot(conn, target, _revision(conn))
        finally:
            engine.dispose()
        return
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
                tables = conn.scalar(
                    text("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
                )
                temporary = target.with_name(f".{target.name}.copying")
                with progress("database", int(tables or 0)) as advance:
                    postgres.dump(url, temporary, snapshot=snapshot_id, advance=advance)
                with temporary.open("rb") as handle:
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
                sync_dir(folder)
                yield Snapshot(conn, target, _revision(conn))
    finally:
        engine.dispose()


def count_state(conn: Connection) -> Counts:
    """Packets per status, identities and issued UINs in the database ``conn`` reads."""
    by_status = conn.execute(select(_packets.c.status, func.count()).group_by(_packets.c.status)).all()
    return Counts(
        packets_by_status={str(status): int(n) for status, n in sorted(by_status)},
        identities=int(conn.scalar(select(func.count()).select_from(identities)) or 0),
        uins=int(conn.scalar(select(func.count()).select_from(uins)) or 0),
    )


def packet_rows(conn: Connection, rids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """{rid: (sha256, status)} of those of ``rids`` the database knows."""
    rows = conn.execute(
        select(_packets.c.rid, _packets.c.sha256, _packets.c.status).where(_packets.c.rid.in_(list(rids)))
    )
    return {rid: (sha256, status) for rid, sha256, status in rows}


def what_is_there(url: str) -> tuple[str | None, int]:
    """(None when the database at ``url`` is empty or absent, else what it holds in words; how many
    other sessions are connected to it, PostgreSQL only)."""
    if database_kind(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return None, 0
        with contextlib.closing(sqlite3.connect(_sqlite_uri(path, "ro"), uri=True)) as conn:
            try:
                tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                return f"a file that is not an empty database ({exc})", 0
        return (f"{tables} table(s)" if tables else None), 0
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            tables = conn.scalar(
                text("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
            )
            others = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    except Exception as exc:
        raise BackupError(f"cannot reach the target database: {str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
    return (f"{tables} table(s)" if tables else None), int(others or 0)


def restore_database(url: str, dump_file: Path, *, force: bool, progress: Progress) -> None:
    """Put the dumped database in place at ``url`` (SQLite: a new file renamed over the old one, whose
    -wal/-shm files go first; PostgreSQL: ``pg_restore`` in one transaction)."""
    if database_kind(url) == "sqlite":
        target = sqlite_path(url)
        private_dir(target.parent)
        if force:
            for suffix in SQLITE_SIDE_FILES:
                target.with_name(target.name + suffix).unlink(missing_ok=True)
        _copy_sqlite(dump_file, target, progress=progress, label="database", mode="ro")
        return
    with progress("database", postgres.table_data_entries(dump_file)) as advance:
        postgres.restore(url, dump_file, clean=force, advance=advance)

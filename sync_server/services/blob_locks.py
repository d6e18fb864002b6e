"""Per-RID writer locks for a blob store that several processes share.

On PostgreSQL (the database every server of a deployment shares) the lock is a transaction-level
advisory lock, ``pg_advisory_xact_lock(class, hash(rid))``, held on a connection of a small engine of
its own for as long as the writer works: any server on any machine waits for it, and a server that
dies mid-write loses its connection and so its lock. Waiting is bounded (``lock_timeout``): a RID
held too long answers ``Busy`` (503, the kiosk retries). On SQLite (one machine by nature) the lock
is a file lock in a folder of that machine, as the local-folder store does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.sync import ErrorCode
from sync_server.files import open_private, private_dir
from sync_server.services.errors import Busy

# First key of the two-int advisory lock space (the one-bigint space, used by schema upgrades, is apart).
LOCK_CLASS = 0x0B10B5


class RidLocks(Protocol):
    def locked(self, rid: str) -> AbstractContextManager[None]:
        """Hold ``rid``'s writer lock for the ``with`` block."""
        ...

    def close(self) -> None:
        """Release what the locks hold (connections)."""
        ...


def lock_key(rid: str) -> int:
    """The signed 32-bit second key of ``rid``'s advisory lock (a collision only serialises more)."""
    return int.from_bytes(hashlib.sha256(rid.encode()).digest()[:4], "big", signed=True)


class FileLocks:
    """flock on ``folder/<rid>.lock``: threads and processes of one machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_dir(folder)

    @contextlib.contextmanager
    def locked(self, rid: str) -> Iterator[None]:
        fd = open_private(self.folder / f"{rid}.lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        return None


class AdvisoryLocks:
    """``pg_advisory_xact_lock`` on a pool of its own (a writer also needs a pooled connection for its
    session, so the two never wait on one pool)."""

    def __init__(self, url: str, *, timeout_s: float = 30.0, pool_size: int = 4) -> None:
        # at most 20 connections per process (4 kept idle): count them in PostgreSQL's max_connections
        self.engine: Engine = create_engine(
            url, pool_size=pool_size, max_overflow=16, pool_pre_ping=True, pool_timeout=timeout_s
        )
        self.timeout_ms = max(1, int(timeout_s * 1000))

    @contextlib.contextmanager
    def locked(self, rid: str) -> Iterator[None]:
        try:
            conn = self.engine.connect()
        except (OperationalError, PoolTimeout) as exc:  # the database away, or every lock connection busy
            raise Busy(ErrorCode.backend_unavailable, "the database is busy; retry", retry_after=2) from exc
        with conn, conn.begin():
            try:
                # SET LOCAL takes no bind parameter; the value is an int we computed.
                conn.execute(text(f"SET LOCAL lock_timeout = {self.timeout_ms}"))
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:cls, :key)"),
                    {"cls": LOCK_CLASS, "key": lock_key(rid)},
                )
            except OperationalError as exc:
                raise Busy(
                    ErrorCode.backend_unavailable,
                    f"packet {rid} is being written by another server; retry",
                    retry_after=2,
                ) from exc
            yield  # the lock goes with the transaction: commit, rollback, or a lost connection

    def close(self) -> None:
        self.engine.dispose()


def locks_for(database_url: str, *, local_folder: Path, timeout_s: float = 30.0) -> RidLocks:
    """Advisory locks on PostgreSQL (shared by every server), file locks in ``local_folder`` otherwise."""
    if database_url.startswith("postgresql"):
        return AdvisoryLocks(database_url, timeout_s=timeout_s)
    return FileLocks(local_folder)

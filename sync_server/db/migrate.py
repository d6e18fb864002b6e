"""Run Alembic programmatically (on start and from ``openreg admin db``); refuse a database at an
unknown (newer) revision; serialise concurrent upgrades of one database.

Several servers or ``openreg admin db upgrade`` runs may start on one fresh database at once. On
PostgreSQL every upgrade holds a session-level ``pg_advisory_lock`` (one fixed key) from reading the
current revision until the upgrade has committed: the others wait, then find the schema at head and
do nothing. On SQLite the same holds through an exclusive ``flock`` on a lock file beside the database
file (``<db>.upgrade-lock``); the upgrade itself also runs in one ``BEGIN IMMEDIATE`` transaction
(migrations/env.py), so a half-applied revision is never left behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock key of schema upgrades: any fixed bigint no other lock user in the database picks.
UPGRADE_LOCK_KEY = 0x0E5E_6D16_0001


class SchemaError(RuntimeError):
    """The database schema cannot be used by this server version."""


@dataclass(frozen=True)
class Revision:
    """One migration: its id, the one it follows, its message; ``current`` when the database is at it."""

    revision: str
    down_revision: str | None
    message: str
    current: bool


def alembic_config(engine: Engine, *, data_dir: Path | None = None) -> Config:
    """``data_dir`` (the server's) lets revisions that re-encrypt rows reach the data key."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["data_dir"] = data_dir
    return config


@contextmanager
def upgrade_lock(engine: Engine) -> Iterator[None]:
    """Hold the schema-upgrade lock of the database (PostgreSQL advisory lock; SQLite: see module)."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            yield  # a private database: nobody else can upgrade it
            return
        fd = os.open(f"{database}.upgrade-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the lock
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
        conn.commit()  # a session-level lock outlives the transaction; do not sit idle in one
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY})
            conn.commit()


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database never migrated."""
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def head_revision() -> str:
    """The newest revision this server version knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def history(engine: Engine) -> list[Revision]:
    """Every known revision, oldest first, marking the one(s) the database is at."""
    at = set(current_revisions(engine))
    script = ScriptDirectory(str(MIGRATIONS))
    return [
        Revision(
            revision=rev.revision,
            down_revision=rev.down_revision if isinstance(rev.down_revision, str) else None,
            message=" ".join((rev.doc or "").split()),
            current=rev.revision in at,
        )
        for rev in reversed(list(script.walk_revisions()))
    ]


def upgrade_to_head(engine: Engine, *, data_dir: Path | None = None) -> tuple[tuple[str, ...], str]:
    """Upgrade to head under the upgrade lock; return (the revisions before, read under the lock, and
    the head). Raise SchemaError for an unknown revision."""
    config = alembic_config(engine, data_dir=data_dir)
    script = ScriptDirectory.from_config(config)
    with upgrade_lock(engine):
        known = {rev.revision for rev in script.walk_revisions()}
        before = current_revisions(engine)
        unknown = [rev for rev in before if rev not in known]
        if unknown:
            raise SchemaError(
                f"the database is at schema revision {', '.join(unknown)}, which this server does not "
                f"know (newer software wrote it?); refusing to start. Known head: {script.get_current_head()}"
            )
        command.upgrade(config, "head")
    return before, script.get_current_head() or ""


def migrate(engine: Engine, *, data_dir: Path | None = None) -> str:
    """Upgrade to head (see ``upgrade_to_head``); return the head revision."""
    return upgrade_to_head(engine, data_dir=data_dir)[1]

"""Run Alembic programmatically on start; refuse a database at an unknown (newer) revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaError(RuntimeError):
    """The database schema cannot be used by this server version."""


def alembic_config(engine: Engine, *, data_dir: Path | None = None) -> Config:
    """``data_dir`` (the server's) lets revisions that re-encrypt rows reach the data key."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["data_dir"] = data_dir
    return config


def migrate(engine: Engine, *, data_dir: Path | None = None) -> str:
    """Upgrade to head; return the head revision. Raise SchemaError for an unknown revision."""
    config = alembic_config(engine, data_dir=data_dir)
    script = ScriptDirectory.from_config(config)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise SchemaError(
            f"the database is at schema revision {', '.join(unknown)}, which this server does not know "
            f"(newer software wrote it?); refusing to start. Known head: {script.get_current_head()}"
        )
    command.upgrade(config, "head")
    return script.get_current_head() or ""

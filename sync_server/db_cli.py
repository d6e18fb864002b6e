"""``openreg admin db upgrade|current|history``: the server database's schema revision (Alembic)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine

from shared.cli_output import echo_json, json_option
from sync_server.bootstrap import open_engine
from sync_server.cli_options import cli_settings, data_option, db_option
from sync_server.db.migrate import SchemaError, current_revisions, head_revision, history, upgrade_to_head
from sync_server.files import private_dir


@click.group("db")
def db_group() -> None:
    """Schema migrations of the server database (servers also upgrade by themselves on start)."""


def _existing(data_dir: Path, db_url: str | None) -> Engine:
    """The engine of a server that exists: reading the revision must not create a data dir."""
    if not data_dir.is_dir():
        raise click.ClickException(f"{data_dir} is not a directory: is --data the server's data dir?")
    return open_engine(cli_settings(data_dir=data_dir, db_url=db_url))


@db_group.command("upgrade")
@data_option
@db_option
def db_upgrade(data_dir: Path, db_url: str | None) -> None:
    """Upgrade the schema to this version's head; safe while other servers start or upgrade too."""
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    private_dir(settings.data_dir)  # as the server makes it on its first start
    engine = open_engine(settings)
    try:
        before, head = upgrade_to_head(engine, data_dir=settings.data_dir)
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    was = ", ".join(before) or "empty"
    click.echo(
        f"schema at {head} (already)" if before == (head,) else f"schema upgraded from {was} to {head}"
    )


@db_group.command("current")
@data_option
@db_option
@json_option
def db_current(data_dir: Path, db_url: str | None, as_json: bool) -> None:
    """Print the database's revision and whether it is this version's head (exit 1 if not)."""
    engine = _existing(data_dir, db_url)
    try:
        at = current_revisions(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if as_json:
        echo_json({"revisions": list(at), "head": head, "at_head": at == (head,)})
    else:
        click.echo(f"{', '.join(at) or 'empty (never migrated)'}{' (head)' if at == (head,) else ''}")
    if at != (head,):
        click.echo(f"this server's head is {head}: run `openreg admin db upgrade`", err=True)
        raise SystemExit(1)


@db_group.command("history")
@data_option
@db_option
@json_option
def db_history(data_dir: Path, db_url: str | None, as_json: bool) -> None:
    """List the known revisions, oldest first; the database's one is marked with *."""
    engine = _existing(data_dir, db_url)
    try:
        revisions = history(engine)
    finally:
        engine.dispose()
    if as_json:  # revision, down_revision, message, current
        echo_json({"revisions": revisions})
        return
    for rev in revisions:
        click.echo(
            f"{'*' if rev.current else ' '} {rev.revision:<32} {rev.down_revision or '-':<32} {rev.message}"
        )

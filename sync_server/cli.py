"""``openreg server``, ``openreg admin ...`` and ``openreg worker`` (click)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from sync_server.processing.admin_cli import identity, reprocess
from sync_server.processing.cli import worker
from sync_server.reports.cli import reports

__all__ = ["admin", "server", "worker"]

_data = click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(path_type=Path),
    envvar="OPENREG_DATA",
    help="Server data directory (database, keys, packet blobs).",
)
_db = click.option(
    "--db", "db_url", default=None, envvar="OPENREG_DB", help="SQLAlchemy URL (default SQLite under DATA)."
)


def _settings(**values):
    from pydantic import ValidationError

    from sync_server.settings import ServerSettings

    try:
        return ServerSettings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from exc


def _state(data_dir: Path, db_url: str | None):
    from sync_server.bootstrap import build_state
    from sync_server.db.migrate import SchemaError

    try:
        return build_state(_settings(data_dir=data_dir, db_url=db_url))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("server")
@_data
@_db
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option("--demo", is_flag=True, help="Load demo master data on first start; auto-approve machines.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="In-process processing workers; 0 leaves processing to `openreg worker` processes.",
)
def server(data_dir: Path, db_url: str | None, host: str, port: int, demo: bool, workers: int) -> None:
    """Run the sync server; writes DATA/server.json {"url", "pid"} once it accepts connections."""
    from sync_server.db.migrate import SchemaError
    from sync_server.runner import serve

    try:
        serve(_settings(data_dir=data_dir, db_url=db_url, host=host, port=port, demo=demo, workers=workers))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("admin")
def admin() -> None:
    """Administer a sync server's database directly (machines, master data)."""


@admin.group("machines")
def machines_group() -> None:
    """List, approve and reject machine enrolments."""


@machines_group.command("list")
@_data
@_db
@click.option("--status", default=None, type=click.Choice(["pending", "approved", "rejected", "revoked"]))
def machines_list(data_dir: Path, db_url: str | None, status: str | None) -> None:
    from sync_server.services.clock import aware
    from sync_server.services.machines import list_machines

    state = _state(data_dir, db_url)
    with Session(state.engine) as session:
        rows = list_machines(session, status=status)
        if not rows:
            click.echo("no machines")
        for row in rows:
            synced = row.last_masterdata_sync_at
            synced_text = (
                aware(synced).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if synced else "never"
            )
            click.echo(
                f"{row.machine_id}  {row.status:9}  center {row.center_id}  {row.name}  "
                f"last master-data sync {synced_text}  {row.public_key}"
            )


def _decide(data_dir: Path, db_url: str | None, machine_id: str, approve: bool) -> None:
    from sync_server.errors import ApiError
    from sync_server.services.machines import decide_machine

    state = _state(data_dir, db_url)
    try:
        with Session(state.engine) as session, session.begin():
            row = decide_machine(session, machine_id=machine_id, approve=approve)
            click.echo(f"machine {row.machine_id} is now {row.status}")
    except ApiError as exc:
        raise click.ClickException(exc.detail) from exc


@machines_group.command("approve")
@_data
@_db
@click.argument("machine_id")
def machines_approve(data_dir: Path, db_url: str | None, machine_id: str) -> None:
    _decide(data_dir, db_url, machine_id, True)


@machines_group.command("reject")
@_data
@_db
@click.argument("machine_id")
def machines_reject(data_dir: Path, db_url: str | None, machine_id: str) -> None:
    """Reject a pending machine or revoke an approved one."""
    _decide(data_dir, db_url, machine_id, False)


@admin.group("packets")
def packets_group() -> None:
    """List received packets (e.g. those kiosks quarantined as damaged)."""


@packets_group.command("list")
@_data
@_db
@click.option("--status", default=None, help="Only packets in this state, e.g. damaged, receiving, rejected.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
def packets_list(data_dir: Path, db_url: str | None, status: str | None, limit: int) -> None:
    from shared.sync import PacketState
    from sync_server.services.packets import list_packets

    try:
        wanted = PacketState(status) if status else None
    except ValueError as exc:
        raise click.BadParameter(f"unknown state {status!r}", param_hint="--status") from exc
    rows = list_packets(_state(data_dir, db_url).engine, status=wanted, limit=limit)
    if not rows:
        click.echo("no packets")
    for row in rows:
        why = f"  [{row.reason_code}] {row.reason or ''}".rstrip() if row.reason_code else ""
        click.echo(f"{row.rid}  {row.status.value:10}  machine {row.machine_id}  {row.size} bytes{why}")


@admin.group("masterdata")
def masterdata_group() -> None:
    """Import master data (JSON import documents or <entity>.csv files)."""


@masterdata_group.command("import")
@_data
@_db
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def masterdata_import(data_dir: Path, db_url: str | None, files: tuple[Path, ...]) -> None:
    """Import FILES all-or-nothing; a bad row is reported with file, row and field."""
    from sync_server.services.masterdata import import_paths
    from sync_server.services.masterdata_rules import MasterDataInvalid

    state = _state(data_dir, db_url)
    try:
        with Session(state.engine) as session, session.begin():
            result = import_paths(session, list(files))
    except MasterDataInvalid as exc:
        for error in exc.errors:
            where = ", ".join(
                x for x in (error.file, f"row {error.row}" if error.row else None, error.field) if x
            )
            click.echo(f"error: {where}: {error.message}", err=True)
        raise click.ClickException(f"import refused, nothing applied ({len(exc.errors)} problem(s))") from exc
    click.echo(json.dumps(result.model_dump()))


# The processing backend (issue 7) contributes the worker and its admin commands.
admin.add_command(reports)
admin.add_command(reprocess)
admin.add_command(identity)

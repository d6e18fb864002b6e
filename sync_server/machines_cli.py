"""``openreg admin machines``: list kiosks and decide their enrolment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy.orm import Session

from shared.cli_output import echo_json, json_option
from sync_server.cli_options import cli_state, data_option, db_option


@click.group("machines")
def machines_group() -> None:
    """List, approve and reject machine enrolments."""


@machines_group.command("list")
@data_option
@db_option
@click.option("--status", default=None, type=click.Choice(["pending", "approved", "rejected", "revoked"]))
@json_option
def machines_list(data_dir: Path, db_url: str | None, status: str | None, as_json: bool) -> None:
    """Every kiosk by id: status, center, name, last master-data sync, public key."""
    from sync_server.services.clock import aware
    from sync_server.services.machines import list_machines

    state = cli_state(data_dir, db_url)
    with Session(state.engine) as session:
        rows = list_machines(session, status=status)
        if as_json:
            echo_json(
                {
                    "machines": [
                        {
                            "machine_id": row.machine_id,
                            "status": row.status,
                            "center_id": row.center_id,
                            "name": row.name,
                            "last_masterdata_sync_at": row.last_masterdata_sync_at,
                            "public_key": row.public_key,
                        }
                        for row in rows
                    ]
                }
            )
            return
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
    from sync_server.services.audit import cli_actor
    from sync_server.services.errors import DomainError
    from sync_server.services.machines import decide_machine

    state = cli_state(data_dir, db_url)
    try:
        with Session(state.engine) as session, session.begin():
            row = decide_machine(session, machine_id=machine_id, approve=approve, actor=cli_actor())
            click.echo(f"machine {row.machine_id} is now {row.status}")
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


@machines_group.command("approve")
@data_option
@db_option
@click.argument("machine_id")
def machines_approve(data_dir: Path, db_url: str | None, machine_id: str) -> None:
    _decide(data_dir, db_url, machine_id, True)


@machines_group.command("reject")
@data_option
@db_option
@click.argument("machine_id")
def machines_reject(data_dir: Path, db_url: str | None, machine_id: str) -> None:
    """Reject a pending machine or revoke an approved one."""
    _decide(data_dir, db_url, machine_id, False)

"""``openreg admin packets list|import``: received packets, and kiosk exports from a USB stick."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from shared.cli_output import echo_json, json_option
from sync_server.cli_options import cli_state, data_option, db_option
from sync_server.media_import_cli import import_packets


@click.group("packets")
def packets_group() -> None:
    """List received packets (e.g. those kiosks quarantined as damaged); import them from a stick."""


@packets_group.command("list")
@data_option
@db_option
@click.option("--status", default=None, help="Only packets in this state, e.g. damaged, receiving, rejected.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@json_option
def packets_list(data_dir: Path, db_url: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """The newest packets first: RID, state, machine, size and why it was rejected."""
    from shared.sync import PacketState
    from sync_server.services.packets import list_packets

    try:
        wanted = PacketState(status) if status else None
    except ValueError as exc:
        raise click.BadParameter(f"unknown state {status!r}", param_hint="--status") from exc
    with Session(cli_state(data_dir, db_url).engine) as session:
        rows = list_packets(session, status=wanted, limit=limit)
    if as_json:  # the keys of GET /api/v1/admin/packets
        echo_json({"packets": rows})
        return
    if not rows:
        click.echo("no packets")
    for row in rows:
        why = f"  [{row.reason_code}] {row.reason or ''}".rstrip() if row.reason_code else ""
        click.echo(f"{row.rid}  {row.status.value:10}  machine {row.machine_id}  {row.size} bytes{why}")


packets_group.add_command(import_packets)  # issue 21: kiosk exports from a USB stick

"""``openreg admin packets import DIR``: take kiosk exports off a stick and write their acknowledgements
back onto it (sync_server.services.media_import; the console page is /console/packets/import)."""

from __future__ import annotations

from pathlib import Path

import click

from shared.cli_output import echo_json, json_option, progress
from sync_server.cli_options import cli_settings, data_option, db_option


@click.command("import")
@data_option
@db_option
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(0, 3600),
    default=0.0,
    show_default=True,
    help="Wait up to this many seconds for processing outcomes (UINs), so this trip carries them back.",
)
@json_option
def import_packets(data_dir: Path, db_url: str | None, folder: Path, wait_s: float, as_json: bool) -> None:
    """Import the kiosk exports on a stick (FOLDER: the stick, or one kiosk's folder) and write each
    kiosk's signed acknowledgement back onto it. Importing again is harmless; exit 1 if anything was
    refused (the kiosk keeps refused packets and exports them again)."""
    from shared.media.layout import NotAnExport
    from sync_server.bootstrap import build_state
    from sync_server.db.migrate import SchemaError
    from sync_server.keys import KeyFileError, require_keys
    from sync_server.services.audit import cli_actor
    from sync_server.services.media_import import context_for, import_stick

    try:
        require_keys(data_dir)  # the keys kiosks pinned: never sign an acknowledgement with new ones
        state = build_state(cli_settings(data_dir=data_dir, db_url=db_url))
    except (KeyFileError, SchemaError) as exc:
        raise click.ClickException(str(exc)) from exc

    try:
        with progress() as display:
            results = import_stick(
                context_for(state),
                folder.resolve(),
                actor=cli_actor(),
                wait_s=wait_s,
                progress=lambda rid, done, total: display.show(
                    "import", done, total=total, unit="packets", item=rid
                ),
            )
    except NotAnExport as exc:
        raise click.ClickException(str(exc)) from exc
    failed = any(r.refused or r.ack_error or any(p.outcome == "refused" for p in r.packets) for r in results)
    if as_json:
        echo_json({"ok": not failed, "kiosks": [_kiosk_document(r) for r in results]})
        if failed:
            click.echo(
                "Error: a folder or packet was refused or an answer not written (see the JSON)", err=True
            )
            raise SystemExit(1)
        return
    for result in results:
        if result.refused:
            click.echo(f"kiosk {result.machine_id}: REFUSED: {result.refused}")
            continue
        click.echo(
            f"kiosk {result.machine_id}: {result.count('received')} received, {result.count('already')} "
            f"already here, {result.count('refused')} refused, {result.count('rejection_recorded')} "
            f"rejection(s) recorded; acknowledgement written ({result.ack_bytes} bytes, "
            f"{result.masterdata_changes} master-data change(s){', snapshot' if result.snapshot else ''}"
            f"{', update ' + result.update_version if result.update_version else ''})"
        )
        if result.ack_error:
            click.echo(f"  ANSWER NOT WRITTEN: {result.ack_error}")
        for packet in result.packets:
            if packet.outcome == "refused":
                click.echo(f"  refused {packet.rid}: {packet.detail}")
        for status in result.statuses:
            click.echo(f"  {status.rid} {status.status.value} {status.uin or ''}".rstrip())
    if failed:
        raise SystemExit(1)


def _kiosk_document(result) -> dict:
    """One kiosk folder's import (sync_server.services.media_import.ExportImport) for --json."""
    return {
        "machine_id": result.machine_id,
        "center_id": result.center_id,
        "export_id": result.export_id,
        "folder": result.folder,
        "refused": result.refused,
        "counts": {
            outcome: result.count(outcome)
            for outcome in ("received", "already", "refused", "rejection_recorded")
        },
        "packets": [{"rid": p.rid, "outcome": p.outcome, "detail": p.detail} for p in result.packets],
        "statuses": [
            {"rid": s.rid, "status": s.status, "uin": s.uin, "reason_code": s.reason_code, "reason": s.reason}
            for s in result.statuses
        ],
        "acknowledgement": {
            "written": result.ack_error is None and not result.refused,
            "bytes": result.ack_bytes,
            "error": result.ack_error,
            "masterdata_changes": result.masterdata_changes,
            "snapshot": result.snapshot,
            "update_version": result.update_version,
        },
    }

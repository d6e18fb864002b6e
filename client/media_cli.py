"""``openreg client export --to DIR`` and ``openreg client import-ack DIR``: the kiosk's side of packets
and acknowledgements by USB stick (client.core.media), for kiosks without network."""

from __future__ import annotations

from pathlib import Path

import click

from shared.cli_output import echo_json, json_option, progress

FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)


def _failure(exc: Exception) -> click.ClickException:
    """The error line, with the exit status that says why (shared.exit_codes)."""
    failure = click.ClickException(str(exc))
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        failure.exit_code = code
    return failure


def _options(command):
    from client.cli import DATA_OPTION, KEYRING_OPTION

    return DATA_OPTION(KEYRING_OPTION(command))


@click.command("export")
@click.option("--to", "target", type=FOLDER, required=True, help="The mounted stick (or a folder).")
@click.option(
    "--supervisor",
    "supervisor_id",
    envvar="OPENREG_CLIENT_SUPERVISOR",
    help="The supervisor exporting (needed unless the kiosk has no master data yet: then the export "
    "only asks the office for it).",
)
@click.option(
    "--password",
    envvar="OPENREG_CLIENT_SUPERVISOR_PASSWORD",
    help="The supervisor's password; prompted when not given (or set OPENREG_CLIENT_SUPERVISOR_PASSWORD).",
)
@_options
@json_option
def export(
    data_dir: Path, keyring_file: Path | None, target: Path, supervisor_id: str, password: str, as_json: bool
) -> None:
    """Put approved packets the server has not acknowledged on a stick, with a signed manifest. They
    stay on this kiosk until the stick comes back with the server's acknowledgement (import-ack)."""
    from client.cli import _app
    from client.core.authentication import AuthError
    from client.core.media.errors import MediaProblem
    from client.core.media.export import MediaExporter

    app = _app(data_dir, keyring_file)
    try:
        try:
            session = None
            if supervisor_id:
                password = password or click.prompt("supervisor password", hide_input=True)
                session = app.authentication.login(user_id=supervisor_id, password=password)
            exporter = MediaExporter(store=app.store, machine=app.machine)
            with progress() as display:

                def show(p) -> None:
                    item = f"{p.rid} ({p.packets_done}/{p.packets_total} packets)"
                    display.show("export", p.bytes_done, total=p.bytes_total, unit="bytes", item=item)

                report = exporter.export(target, session=session, progress=show)
        except (AuthError, MediaProblem) as exc:  # RoleRequired is an AuthError
            raise _failure(exc) from exc
        if as_json:
            echo_json(
                {
                    "folder": report.folder,
                    "export_id": report.export_id,
                    "exported": report.exported,
                    "kept": report.kept,
                    "quarantined": report.quarantined,
                    "rejections": report.rejections,
                    "awaiting": report.awaiting,
                    "bytes": report.bytes,
                }
            )
            return
        for rid, why in report.quarantined.items():
            click.echo(f"QUARANTINED {rid} (damaged sealed file, not exported; tell the supervisor): {why}")
        click.echo(
            f"exported {len(report.packets)} packet(s) ({len(report.kept)} already on the stick), "
            f"{report.rejections} rejection(s), {report.awaiting} awaiting an outcome, to {report.folder}"
        )
    finally:
        app.close()


@click.command("import-ack")
@click.argument("folder", type=FOLDER)
@_options
@json_option
def import_ack(data_dir: Path, keyring_file: Path | None, folder: Path, as_json: bool) -> None:
    """Read the server's acknowledgement from a stick (FOLDER): packets it received, statuses and UINs,
    master data, and a staged update if the stick carries one. Refused (nothing applied) when it is
    not signed by the server this kiosk is enrolled with, or was made for another kiosk."""
    from client.cli import _app
    from client.core.media.ack_import import import_ack as run_import
    from client.core.media.errors import MediaProblem
    from client.core.sync.transport import reason_text

    app = _app(data_dir, keyring_file)
    try:
        try:
            report = run_import(app, folder)
        except MediaProblem as exc:
            raise _failure(exc) from exc
        if as_json:
            echo_json(_ack_document(report))
            return
        click.echo(f"acknowledgement of export {report.export_id} ({report.created_at:%Y-%m-%d %H:%M} UTC)")
        if report.older:
            click.echo("  older than one already read: statuses kept as they are")
        for st in report.statuses:
            why = reason_text(st.reason_code, st.reason) if st.reason_code else ""
            click.echo(f"{st.rid} {st.status.value} {st.uin or ''} {why}".rstrip())
        for refusal in report.refused:
            click.echo(f"not received {refusal.rid}: {refusal.reason} (it is exported again next time)")
        master = report.master_data
        line = f"master data: {master.rows} rows applied, cursor {master.cursor}"
        if master.not_applied:
            line += f" (not applied: {master.not_applied}; export again for a fresh bundle)"
        click.echo(line)
        if report.update is not None:
            click.echo(f"update: {report.update.message}")
    finally:
        app.close()


def _ack_document(report) -> dict:
    """An imported acknowledgement (client.core.media.ack_import.AckReport) for --json."""
    from client.cli import _status_document

    master = report.master_data
    update = report.update
    return {
        "export_id": report.export_id,
        "created_at": report.created_at,
        "older": report.older,
        "delivered": report.delivered,
        "statuses": [_status_document(st) for st in report.statuses],
        "refused": [{"rid": r.rid, "reason": r.reason} for r in report.refused],
        "master_data": {
            "rows": master.rows,
            "skipped": master.skipped,
            "cursor": master.cursor,
            "entities": master.entities,
            "not_applied": master.not_applied,
        },
        "purged": report.purged,
        "update": None
        if update is None
        else {"status": update.status, "message": update.message, "version": update.version},
    }

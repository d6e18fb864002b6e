"""``openreg client export --to DIR`` and ``openreg client import-ack DIR``: the kiosk's side of packets
and acknowledgements by USB stick (client.core.media), for kiosks without network."""

from __future__ import annotations

from pathlib import Path

import click

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
def export(
    data_dir: Path, keyring_file: Path | None, target: Path, supervisor_id: str, password: str
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
            last = {"packets": -1}

            def show(p) -> None:
                if p.packets_done != last["packets"]:
                    last["packets"] = p.packets_done
                    click.echo(
                        f"export {p.rid} {p.packets_done}/{p.packets_total} packets, "
                        f"{p.bytes_done}/{p.bytes_total} bytes",
                        err=True,
                    )

            report = exporter.export(target, session=session, progress=show)
        except (AuthError, MediaProblem) as exc:  # RoleRequired is an AuthError
            raise _failure(exc) from exc
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
def import_ack(data_dir: Path, keyring_file: Path | None, folder: Path) -> None:
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

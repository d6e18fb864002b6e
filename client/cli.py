"""``openreg client`` (headless kiosk commands; the GUI issue adds ``openreg client gui``); ``openreg demo``
is in demo/cli.py."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option, progress

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder with this kiosk's encrypted DB, packets and receipts.",
)
KEYRING_OPTION = click.option(
    "--keyring-file",
    type=click.Path(path_type=Path),
    envvar="OPENREG_CLIENT_KEYRING_FILE",
    help="Keep the DB key in this plaintext file keyring instead of the OS keyring (tests/demo only).",
)


def _app(data_dir: Path, keyring_file: Path | None, server: str | None = None, **transport):
    """``transport``: allow_insecure_http / server_ca_file, passed only when given so the
    OPENREG_CLIENT_* environment still applies otherwise."""
    from pydantic import ValidationError

    from client.core.bootstrap import build_client
    from client.core.settings import ClientSettings, settings_problem
    from client.core.store import KeyStoreUnavailable

    # Only options actually given go in: an explicit None would hide OPENREG_CLIENT_* from the environment.
    given = {"keyring_file": keyring_file, "server_url": server, **transport}
    try:
        settings = ClientSettings(data_dir=data_dir, **{k: v for k, v in given.items() if v})
    except ValidationError as exc:
        raise click.ClickException(settings_problem(exc)) from exc
    try:
        return build_client(settings)
    except KeyStoreUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


class _ClientGroup(click.Group):
    """Adds ``gui`` from client.ui only when asked for, so headless machines never import Qt."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "gui"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "gui":
            try:
                from client.ui.cli import gui
            except ImportError as exc:
                raise click.ClickException(f"the kiosk GUI is not available in this build: {exc}") from exc
            return gui
        return super().get_command(ctx, cmd_name)


@click.group(cls=_ClientGroup)
def client() -> None:
    """The registration kiosk (headless commands; the GUI adds its own)."""


@client.command()
@DATA_OPTION
@KEYRING_OPTION
@json_option
def status(data_dir: Path, keyring_file: Path | None, as_json: bool) -> None:
    """Show enrolment, master-data cursor and packet counts."""
    from client.core.machine import read_setting

    app = _app(data_dir, keyring_file)
    try:
        ident = app.machine.identity()
        with app.store.transaction() as conn:
            cursor = read_setting(conn, "masterdata.cursor")
        counts = app.registrations.count_by_status()
    finally:
        app.close()
    if as_json:
        echo_json(
            {
                "machine_id": ident.machine_id,
                "center_id": ident.center_id,
                "status": ident.status,
                "masterdata_cursor": cursor,
                "registrations": dict(counts),
            }
        )
        return
    click.echo(f"machine {ident.machine_id or '-'} center {ident.center_id or '-'} status {ident.status}")
    click.echo(f"  master-data cursor: {'none (no master data yet)' if cursor is None else cursor}")
    for state, count in counts:
        click.echo(f"  {state}: {count}")


@client.command()
@DATA_OPTION
@KEYRING_OPTION
@click.option("--server", required=True, help="Sync server base URL")
@click.option("--center", "center_id", required=True)
@click.option("--wait", "wait_s", type=float, default=60.0, show_default=True)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM CA (or the server's self-signed certificate) to pin instead of the system trust store.",
)
@click.option(
    "--allow-insecure-http",
    is_flag=True,
    help="Demo only: allow plain http:// to a non-loopback server (credentials travel in clear).",
)
@click.option(
    "--supervisor",
    "supervisor_id",
    default=None,
    help="Re-enrolling an enrolled kiosk needs a supervisor; password and one-time code are prompted.",
)
def enrol(
    data_dir: Path,
    keyring_file: Path | None,
    server: str,
    center_id: str,
    wait_s: float,
    ca_file: Path | None,
    allow_insecure_http: bool,
    supervisor_id: str | None,
) -> None:
    """Enrol this kiosk for a center and wait for approval; pins the server keys (and --ca-file)."""
    from client.core.authentication import AuthError
    from client.core.machine import PinnedKeyMismatch
    from client.core.sync.enrolment import (
        EnrolmentPending,
        EnrolmentRejected,
        ReenrolmentRefused,
        SupervisorCredentials,
    )
    from client.core.sync.server_keys import ServerKeysRefused
    from client.core.sync.tls import InsecureServerUrl
    from client.core.sync.transport import ServerRefused, TransportError

    supervisor = None
    if supervisor_id:
        supervisor = SupervisorCredentials(
            user_id=supervisor_id,
            password=click.prompt("supervisor password", hide_input=True),
            totp=click.prompt("one-time code", default="", show_default=False) or None,
        )
    app = _app(
        data_dir, keyring_file, server, allow_insecure_http=allow_insecure_http, server_ca_file=ca_file
    )
    try:
        ident = app.enrolment().wait_for_approval(
            center_id=center_id, timeout_s=wait_s, supervisor=supervisor
        )
        click.echo(f"enrolled as machine {ident.machine_id} for center {ident.center_id}")
    except (
        AuthError,
        EnrolmentPending,
        EnrolmentRejected,
        InsecureServerUrl,
        PinnedKeyMismatch,
        ReenrolmentRefused,
        ServerKeysRefused,
        ServerRefused,
        TransportError,
    ) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        app.close()


@client.command()
@DATA_OPTION
@KEYRING_OPTION
@json_option
def sync(data_dir: Path, keyring_file: Path | None, as_json: bool) -> None:
    """Pull master data, upload approved packets, fetch statuses, purge old packets, check for updates."""
    from client.core.sync.master_data_sync import MasterDataRefused
    from client.core.sync.round import run_sync_round
    from client.core.sync.server_keys import ServerKeysRefused
    from client.core.sync.tls import InsecureServerUrl
    from client.core.sync.transport import ServerRefused, TransportError, reason_text

    app = _app(data_dir, keyring_file)
    try:
        try:
            with progress() as display:
                result = run_sync_round(app, progress=lambda kind, p: _show_sync(display, kind, p))
        except (MasterDataRefused, ServerKeysRefused, InsecureServerUrl) as exc:
            raise click.ClickException(str(exc)) from exc
        except TransportError as exc:
            # Offline is normal for a kiosk: one line, no traceback; packets stay queued for next time.
            raise click.ClickException(
                f"sync server {app.server_url()} not reachable ({_short_reason(exc)}); packets stay queued, "
                "try again later"
            ) from exc
        except (ServerRefused, RuntimeError) as exc:  # e.g. not enrolled, no server address
            raise click.ClickException(f"sync failed: {_first_line(exc)}") from exc
        if as_json:
            echo_json(_sync_document(result))
            if not result.ok:
                click.echo(
                    f"Error: {len(result.upload.failed)} packet(s) not uploaded (see the JSON)", err=True
                )
                sys.exit(1)
            return
        click.echo(f"master data: {result.master_data.rows} rows applied")
        for rid in result.upload.uploaded:
            click.echo(f"uploaded {rid}")
        for rid, why in result.upload.failed.items():
            click.echo(f"not uploaded {rid}: {why}")
        for rid, why in result.upload.quarantined.items():
            click.echo(f"QUARANTINED {rid} (damaged sealed file, never uploaded; tell the supervisor): {why}")
        for st in result.statuses:
            why = reason_text(st.reason_code, st.reason)
            click.echo(f"{st.rid} {st.status} {st.uin or ''} {why}".rstrip())
        click.echo(f"update: {result.update.message}")
        if not result.ok:
            sys.exit(1)
    finally:
        app.close()


def _show_sync(display, kind: str, p) -> None:
    """A sync round's progress (client.core.sync.round) as bars: master data rows, then upload bytes."""
    if kind == "master":
        display.show("master data", p.rows, unit="rows", item=p.phase)
    elif kind == "upload":
        item = f"{p.rid} ({p.packets_done}/{p.packets_total} packets)"
        display.show("upload", p.bytes_sent, total=p.bytes_total, unit="bytes", item=item)


def _sync_document(result) -> dict:
    """A sync round's result (client.core.sync.round.SyncRoundResult) for --json."""
    master = result.master_data
    return {
        "ok": result.ok,
        "master_data": {"rows": master.rows, "skipped": master.skipped, "entities": master.entities},
        "uploaded": result.upload.uploaded,
        "failed": result.upload.failed,
        "quarantined": result.upload.quarantined,
        "rejections_reported": result.upload.rejected_reported,
        "statuses": [_status_document(st) for st in result.statuses],
        "purged": result.purged,
        "update": {
            "status": result.update.status,
            "message": result.update.message,
            "version": result.update.version,
        },
    }


def _status_document(st) -> dict:
    """A packet status from the server (shared.sync.PacketStatus) for --json."""
    return {
        "rid": st.rid,
        "status": st.status,
        "uin": st.uin,
        "reason_code": st.reason_code,
        "reason": st.reason,
    }


def _short_reason(exc: BaseException) -> str:
    # requests' own message runs to several hundred characters of pool internals; its class says it.
    return type(exc.__cause__).__name__ if exc.__cause__ is not None else _first_line(exc)


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


@client.command("verify-audit")
@DATA_OPTION
@KEYRING_OPTION
@json_option
def verify_audit(data_dir: Path, keyring_file: Path | None, as_json: bool) -> None:
    """Check the hash chain of the kiosk's audit log; exit 1 naming the first broken entry."""
    from client.core.audit import verify_audit_chain

    app = _app(data_dir, keyring_file)
    try:
        with app.store.transaction() as conn:
            verdict = verify_audit_chain(conn)
    finally:
        app.close()
    if as_json:
        echo_json(verdict)  # AuditVerdict: ok, entries, first_broken_seq, reason
    if not verdict.ok:
        raise click.ClickException(f"audit log broken at entry {verdict.first_broken_seq}: {verdict.reason}")
    if not as_json:
        click.echo(f"audit log intact ({verdict.entries} entries)")


@client.command("export-receipt")
@DATA_OPTION
@KEYRING_OPTION
@click.argument("rid")
@click.option(
    "--out",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="PDF file to write.",
)
def export_receipt(data_dir: Path, keyring_file: Path | None, rid: str, target: Path) -> None:
    """Write the acknowledgement receipt of RID (kept encrypted in the store) to a PDF file, on demand."""
    from client.core.registration.receipts import ReceiptNotFound

    app = _app(data_dir, keyring_file)
    try:
        app.receipts.export(rid=rid, target=target)
    except ReceiptNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        app.close()
    click.echo(f"receipt {rid} written to {target}")


def _add_media_commands() -> None:
    """Issue 21: packets and acknowledgements by USB stick (client/media_cli.py)."""
    from client.media_cli import export, import_ack

    client.add_command(export)
    client.add_command(import_ack)


_add_media_commands()

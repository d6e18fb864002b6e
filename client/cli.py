"""``openreg client`` (headless kiosk commands; the GUI issue adds ``openreg client gui``) and ``openreg demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

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


def _app(data_dir: Path, keyring_file: Path | None, server: str | None = None):
    from client.core.bootstrap import build_client
    from client.core.settings import ClientSettings
    from client.core.store import KeyStoreUnavailable

    try:
        return build_client(ClientSettings(data_dir=data_dir, keyring_file=keyring_file, server_url=server))
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
def status(data_dir: Path, keyring_file: Path | None) -> None:
    """Show enrolment, master-data cursor and packet counts."""
    from sqlalchemy import text

    app = _app(data_dir, keyring_file)
    try:
        ident = app.machine.identity()
        click.echo(f"machine {ident.machine_id or '-'} center {ident.center_id or '-'} status {ident.status}")
        with app.store.transaction() as conn:
            for state, count in conn.execute(
                text("SELECT status, count(*) FROM registrations GROUP BY status")
            ):
                click.echo(f"  {state}: {count}")
    finally:
        app.close()


@client.command()
@DATA_OPTION
@KEYRING_OPTION
@click.option("--server", required=True, help="Sync server base URL")
@click.option("--center", "center_id", required=True)
@click.option("--wait", "wait_s", type=float, default=60.0, show_default=True)
def enrol(data_dir: Path, keyring_file: Path | None, server: str, center_id: str, wait_s: float) -> None:
    """Enrol this kiosk for a center and wait for approval; pins the server keys."""
    app = _app(data_dir, keyring_file, server)
    try:
        ident = app.enrolment().wait_for_approval(center_id=center_id, timeout_s=wait_s)
        click.echo(f"enrolled as machine {ident.machine_id} for center {ident.center_id}")
    finally:
        app.close()


@client.command()
@DATA_OPTION
@KEYRING_OPTION
def sync(data_dir: Path, keyring_file: Path | None) -> None:
    """Pull master data, upload approved packets, fetch statuses, purge old packets, check for updates."""
    from client.core.sync.master_data_sync import MasterDataRefused
    from client.core.sync.round import run_sync_round
    from client.core.sync.transport import reason_text

    def show_progress(kind: str, p) -> None:
        if kind == "master":
            click.echo(f"master data [{p.phase}] rows {p.rows} bytes {p.bytes}", err=True)
        elif kind == "upload":
            click.echo(
                f"upload {p.rid} {p.sent}/{p.size} bytes, overall {p.packets_done}/{p.packets_total}",
                err=True,
            )

    app = _app(data_dir, keyring_file)
    try:
        try:
            result = run_sync_round(app, progress=show_progress)
        except MasterDataRefused as exc:
            raise click.ClickException(str(exc)) from exc
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


@client.command("verify-audit")
@DATA_OPTION
@KEYRING_OPTION
def verify_audit(data_dir: Path, keyring_file: Path | None) -> None:
    """Check the hash chain of the kiosk's audit log; exit 1 naming the first broken entry."""
    from client.core.audit import verify_audit_chain

    app = _app(data_dir, keyring_file)
    try:
        with app.store.transaction() as conn:
            verdict = verify_audit_chain(conn)
    finally:
        app.close()
    if not verdict.ok:
        raise click.ClickException(f"audit log broken at entry {verdict.first_broken_seq}: {verdict.reason}")
    click.echo(f"audit log intact ({verdict.entries} entries)")


@click.command()
@click.option("--headless", is_flag=True, help="Scripted registrations instead of the GUI.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Demo folder; the server uses DATA/server and the kiosk DATA/client.",
)
@click.option("--people", "count", type=int, default=4, show_default=True)
def demo(headless: bool, data_dir: Path, count: int) -> None:
    """Run the whole system: server with demo master data, (simulated) devices and a kiosk."""
    from client.core.demo import run_headless_demo

    if not headless:
        try:
            from client.ui.app import run_gui_demo  # provided by the GUI issue
        except ImportError:
            click.echo("GUI not available in this build; running the headless demo", err=True)
        else:
            sys.exit(run_gui_demo(data_dir=data_dir))
    try:
        code = run_headless_demo(data_dir=data_dir, count=count, echo=click.echo)
    except RuntimeError as exc:  # server/enrolment/set-up failures: say what failed, no traceback
        raise click.ClickException(f"demo failed: {exc}") from exc
    sys.exit(code)

"""``openreg server``, ``openreg admin ...`` and ``openreg worker`` (click)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from shared.cli_output import Progress, echo_json, json_flag, json_option, progress
from sync_server.backend_cli import identity, reprocess
from sync_server.backup.cli import backup, restore
from sync_server.cli_options import (
    cli_settings,
    cli_state,
    data_option,
    db_option,
    import_refused,
    log_format_option,
    log_level_option,
)
from sync_server.db_cli import db_group
from sync_server.machines_cli import machines_group
from sync_server.masterdata_mosip_cli import import_mosip
from sync_server.packets_cli import packets_group
from sync_server.reports_cli import reports
from sync_server.worker_cli import worker

T = TypeVar("T")

__all__ = ["admin", "server", "worker"]


@click.command("server")
@data_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="OPENREG_SERVER_HOST")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=int,
    envvar="OPENREG_SERVER_PORT",
    help="0 picks a free port.",
)
@click.option("--demo", is_flag=True, help="Load demo master data on first start; auto-approve machines.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    envvar="OPENREG_SERVER_WORKERS",
    type=click.IntRange(min=0),
    help="In-process processing workers; 0 leaves processing to `openreg worker` processes.",
)
@click.option(
    "--certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="OPENREG_SERVER_TLS_CERTFILE",
    help="PEM certificate (chain): serve HTTPS. Needs --keyfile.",
)
@click.option(
    "--keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="OPENREG_SERVER_TLS_KEYFILE",
    help="PEM private key of --certfile.",
)
@click.option(
    "--public-url",
    default=None,
    envvar="OPENREG_SERVER_PUBLIC_URL",
    help="The address kiosks should use (e.g. behind a proxy); signed into the key set kiosks fetch.",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies (IPs or networks, comma-separated; '' for none) whose X-Forwarded-For and "
    "X-Forwarded-Proto are believed  [default: 127.0.0.1]",
)
@log_format_option
@log_level_option
def server(
    data_dir: Path,
    db_url: str | None,
    host: str,
    port: int,
    demo: bool,
    workers: int,
    certfile: Path | None,
    keyfile: Path | None,
    public_url: str | None,
    forwarded_allow_ips: str | None,
    log_format: str | None,
    log_level: str | None,
) -> None:
    """Run the sync server; writes DATA/server.json {"url", "pid"} once it accepts connections.

    Without --certfile/--keyfile it speaks plain HTTP: fine on loopback or behind a TLS proxy, but
    kiosks refuse plain HTTP to any other address. SIGTERM drains requests in flight, stops the
    workers and the scheduler, removes server.json and exits 0 (docs/operations.md)."""
    from sync_server.db.migrate import SchemaError
    from sync_server.errors import is_disk_full
    from sync_server.runner import DataDirError, serve

    settings = cli_settings(
        data_dir=data_dir,
        db_url=db_url,
        host=host,
        port=port,
        demo=demo,
        workers=workers,
        tls_certfile=certfile,
        tls_keyfile=keyfile,
        public_url=public_url,
        forwarded_allow_ips=forwarded_allow_ips,
        log_format=log_format,
        log_level=log_level,
    )
    try:
        serve(settings)
    except (SchemaError, DataDirError) as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        if is_disk_full(exc):  # e.g. the migrations ran out of room: say so, not a traceback
            raise click.ClickException(f"the server's disk is full: {exc}") from exc
        raise


@click.group("admin")
def admin() -> None:
    """Administer a sync server's database directly (machines, master data)."""


@admin.group("masterdata")
def masterdata_group() -> None:
    """Import master data (JSON import documents or <entity>.csv files); read kiosks' problem reports."""


@masterdata_group.command("import")
@data_option
@db_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@json_option
def masterdata_import(data_dir: Path, db_url: str | None, files: tuple[Path, ...], as_json: bool) -> None:
    """Import FILES all-or-nothing; a bad row is reported with file, row and field. Prints the result
    as JSON (with --json: indented, and a refusal as {"error": ...} with its problems)."""
    from sync_server.services.masterdata_rules import MasterDataInvalid

    state = cli_state(data_dir, db_url)
    try:
        with progress() as display, Session(state.engine) as session, session.begin():
            result = _import_paths(session, list(files), display)
    except MasterDataInvalid as exc:
        raise import_refused(exc) from exc
    if as_json:
        echo_json(result.model_dump())
    else:
        click.echo(json.dumps(result.model_dump()))


def _import_paths(session: Session, files: list[Path], display: Progress):
    """``import_paths`` with a bar of the bytes read."""
    from sync_server.services.audit import cli_actor
    from sync_server.services.masterdata import import_paths

    total = sum(f.stat().st_size for f in files)

    def show(read: int) -> None:
        display.show("master data import", read, total=total, unit="bytes")

    return import_paths(session, files, actor=cli_actor(), progress=show)


@admin.group("audit")
def audit_group() -> None:
    """Read and verify the server's hash-chained admin audit log."""


@audit_group.command("verify")
@data_option
@db_option
@json_option
def audit_verify(data_dir: Path, db_url: str | None, as_json: bool) -> None:
    """Check every link of the chain: prints OK with the count, or the first broken seq (exit 1)."""
    from sync_server.services.audit import verify_chain

    with cli_state(data_dir, db_url).engine.connect() as conn:
        verdict = verify_chain(conn)
    if as_json:
        echo_json(verdict)  # AuditVerdict: ok, entries, first_broken_seq, reason
    if not verdict.ok:
        click.echo(f"BROKEN at seq {verdict.first_broken_seq}: {verdict.reason}", err=True)
        raise SystemExit(1)
    if not as_json:
        click.echo(f"OK: {verdict.entries} entries, chain intact")


@audit_group.command("list")
@data_option
@db_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@json_flag("One JSON object per line (JSON Lines), newest first.")
def audit_list(data_dir: Path, db_url: str | None, limit: int, as_json: bool) -> None:
    """The newest LIMIT entries, newest first."""
    from sync_server.services.audit import list_entries

    with cli_state(data_dir, db_url).engine.connect() as conn:
        entries = list_entries(conn, limit=limit)
    for e in entries:
        if as_json:
            click.echo(e.model_dump_json())
        else:
            details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
            click.echo(f"{e.seq}  {e.at}  {e.actor}  {e.action}  {e.target or '-'}  {details}")
    if not entries and not as_json:
        click.echo("no audit entries")


@admin.group("datakey")
def datakey_group() -> None:
    """The ID store's data key (demographics, documents, biometrics at rest)."""


@datakey_group.command("rotate")
@data_option
@db_option
def datakey_rotate(data_dir: Path, db_url: str | None) -> None:
    """Make a new data key current; older keys stay for reading what they encrypted. Audited.
    Running servers and workers pick the new key up at their next ID store lookup."""
    from sync_server.idstore.data_key import DataKeyError, DataKeyring

    ring = DataKeyring(data_dir)
    if not ring.ids():  # a wrong --data must not get keys of its own
        raise click.ClickException(
            f"no data key under {data_dir / 'keys'}: is --data the server's data dir? (a server makes "
            "its data key when it stores its first identity)"
        )
    previous = ring.current.key_id

    def rotate() -> tuple[str, str, dict]:
        key_id = ring.rotate().key_id
        return key_id, key_id, {"previous": previous}

    try:
        key_id = _audited_rotation(cli_state(data_dir, db_url), action="datakey.rotate", rotate=rotate)
    except DataKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"data key {key_id} is now current (was {previous})")


def _audited_rotation(state, *, action: str, rotate: Callable[[], tuple[T, str, dict]]) -> T:
    """Run ``rotate`` (returning its result, the new key id and the audit details) inside its audit
    entry's transaction, with the audit log locked first: a busy database fails before any key changes,
    and the entry commits with the rotation. Returns ``rotate``'s result."""
    from sync_server.services.audit import append_audit, cli_actor, lock_audit_log

    with state.engine.begin() as conn:
        lock_audit_log(conn)
        result, target, details = rotate()
        append_audit(conn, actor=cli_actor(), action=action, target=target, details=details)
    return result


@masterdata_group.command("problems")
@data_option
@db_option
@click.option("--machine", "machine_id", default=None, help="Only this machine's reports.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
def masterdata_problems(
    data_dir: Path, db_url: str | None, machine_id: str | None, limit: int, as_json: bool
) -> None:
    """Master-data changes kiosks could not apply and skipped, newest first."""
    from sync_server.services.masterdata_problems import list_problems

    state = cli_state(data_dir, db_url)
    with Session(state.engine) as session:
        problems = list_problems(session, machine_id=machine_id, limit=limit)
    if as_json:  # the keys of GET /api/v1/admin/masterdata/problems
        echo_json({"problems": problems})
        return
    if not problems:
        click.echo("no master-data problems reported")
    for p in problems:
        seen = p.seen_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(
            f"{seen}  machine {p.machine_id}  center {p.center_id}  seq {p.seq}  {p.entity} {p.id!r}: {p.reason}"
        )


@admin.group("keys")
def keys_group() -> None:
    """Server keys (the packet key kiosks seal to)."""


@keys_group.command("rotate-packet-key")
@data_option
@db_option
def keys_rotate_packet_key(data_dir: Path, db_url: str | None) -> None:
    """Make a new packet key current; old keys stay so packets sealed to them still open. Audited.

    Restart the server to publish it: kiosks learn the new key from the server's signed key set on
    their next sync and seal to it from then on; workers open such packets without a restart."""
    from sync_server.keys import KeyFileError, ServerKeys, require_keys, rotate_packet_key

    def rotate() -> tuple[ServerKeys, str, dict]:
        keys = rotate_packet_key(data_dir)
        return keys, keys.recipient_key_id, {"previous": previous, "issued_at": keys.issued_at.isoformat()}

    try:
        require_keys(data_dir)  # before _state, which would make keys for a server never started
        state = cli_state(data_dir, db_url)
        previous = state.keys.recipient_key_id
        keys = _audited_rotation(state, action="keys.rotate_packet_key", rotate=rotate)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"packet key rotated: key id {keys.recipient_key_id}, recipient {keys.recipients[0]}, "
        f"issued {keys.issued_at.isoformat()}"
    )
    click.echo("restart the server to publish it to kiosks (workers pick the new key up by themselves)")


# The processing backend (issue 7) contributes the worker and its admin commands.
admin.add_command(db_group)
admin.add_command(reports)
admin.add_command(reprocess)
admin.add_command(identity)
admin.add_command(machines_group)
masterdata_group.add_command(import_mosip)
admin.add_command(packets_group)
admin.add_command(backup)
admin.add_command(restore)

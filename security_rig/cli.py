"""``openreg security-rig``: attack a running server you own (``--server URL``) or check a kiosk data
folder (``--kiosk DATA_DIR``), and print a report. Exit 0: no finding; 1: findings; 3: could not run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from security_rig import EXIT_COULD_NOT_RUN
from security_rig.context import RigOptions
from security_rig.credentials import CredentialsError, CredentialsFile, load
from security_rig.report import Report
from security_rig.runner import CHECK_NAMES, CouldNotRun, run_server
from security_rig.target import Target, TargetRefused


def _emit(report: Report, as_json: bool) -> None:
    click.echo(report.to_json() if as_json else report.to_text())
    sys.exit(report.exit_code())


def _fail(message: str) -> None:
    click.echo(f"security-rig: could not run: {message}", err=True)
    sys.exit(EXIT_COULD_NOT_RUN)


@click.command(
    "security-rig",
    epilog="Exit status: 0 no finding, 1 findings, 2 bad command line, 3 could not run. "
    f"Checks: {', '.join(CHECK_NAMES)}.",
)
@click.option(
    "--server", "server_url", metavar="URL", help="Base address of a running sync server to attack."
)
@click.option(
    "--admin-credentials",
    "credentials_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON or TOML file with users (any roles), machines and [enrol] center_id (docs/security.md).",
)
@click.option(
    "--kiosk",
    "kiosk_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Check this kiosk data folder at rest instead of a server.",
)
@click.option(
    "--keyring-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Kiosk mode: the kiosk's file keyring, if its settings name one (OPENREG_CLIENT_KEYRING_FILE).",
)
@click.option(
    "--demo", is_flag=True, help="Kiosk mode: the kiosk is a declared demo (a file keyring is expected)."
)
@click.option(
    "--i-own-this-target",
    "own_target",
    is_flag=True,
    help="Allow a server that is not on a loopback address. Only for servers you are responsible for.",
)
@click.option(
    "--ca-file", type=click.Path(dir_okay=False, exists=True), help="PEM CA to trust for an https server."
)
@click.option(
    "--only",
    "only",
    metavar="CHECK",
    multiple=True,
    type=click.Choice(sorted({*CHECK_NAMES, *(n.split(".")[0] for n in CHECK_NAMES)})),
    help="Run only these checks (a prefix such as 'bodies' selects its group). Repeatable.",
)
@click.option(
    "--slow-bound",
    type=click.FloatRange(1, 300),
    default=RigOptions.slow_bound_s,
    show_default=True,
    help="Seconds within which the server must drop a slow client.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1024, 1 << 30),
    default=RigOptions.max_body_bytes,
    show_default=True,
    help="The body limit the server should enforce (the rig sends more than twice this).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def security_rig(
    server_url: str | None,
    credentials_file: Path | None,
    kiosk_dir: Path | None,
    keyring_file: Path | None,
    demo: bool,
    own_target: bool,
    ca_file: str | None,
    only: tuple[str, ...],
    slow_bound: float,
    max_body_bytes: int,
    as_json: bool,
) -> None:
    """Run known attacks against a running OpenReg server, or check a kiosk data folder; print a report.

    The rig only talks to the address given, bounds every loop in count and time, and refuses
    addresses off this machine unless --i-own-this-target is passed. It enrols test machines (revoked
    at the end when an admin credential is given) and locks a made-up user name for the lockout
    window: run it against a test or staging server, or in a maintenance window.
    """
    if bool(server_url) == bool(kiosk_dir):
        raise click.UsageError("give exactly one of --server URL or --kiosk DATA_DIR")
    if kiosk_dir is not None:
        from security_rig.kiosk_checks import run_kiosk

        try:
            report = run_kiosk(kiosk_dir, keyring_file=keyring_file, demo=demo)
        except OSError as exc:
            _fail(str(exc))
        _emit(report, as_json)
    creds = CredentialsFile()
    if credentials_file is not None:
        try:
            creds = load(credentials_file)
        except CredentialsError as exc:
            _fail(str(exc))
    try:
        target = Target(server_url or "", allow_remote=own_target, ca_file=ca_file)
    except TargetRefused as exc:
        _fail(str(exc))
    options = RigOptions(slow_bound_s=slow_bound, max_body_bytes=max_body_bytes)
    try:
        report = run_server(target, creds, options, only=only)
    except CouldNotRun as exc:
        _fail(str(exc))
    _emit(report, as_json)

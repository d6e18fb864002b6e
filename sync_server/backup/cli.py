"""``openreg admin backup DIR`` and ``openreg admin restore DIR`` (mounted on ``admin`` in sync_server/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from shared.cli_output import progress
from sync_server.cli_options import cli_settings, data_option, db_option


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


@click.command("backup")
@data_option
@db_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="The admin's age recipient (age1...) the server keys are encrypted to; repeatable.",
)
@click.option(
    "--recipients-file",
    "recipient_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of age recipients, one per line (# comments), as age -R reads.",
)
@click.option(
    "--test-crash-at", default="", hidden=True, help="TESTS ONLY: SIGKILL the backup at this point."
)
def backup(
    data_dir: Path,
    db_url: str | None,
    directory: Path,
    recipients: tuple[str, ...],
    recipient_files: tuple[Path, ...],
    test_crash_at: str,
) -> None:
    """Back the server up into DIRECTORY (new or empty): database, packet files, report artifacts and
    the keys (encrypted to the admin's age recipient), then manifest.json with every file's SHA-256.

    The server may keep running. A folder without manifest.json is an incomplete backup."""
    from sync_server.backup.create import CRASH_POINTS, create_backup
    from sync_server.backup.keyfiles import parse_recipients
    from sync_server.backup.manifest import BackupError

    if test_crash_at not in CRASH_POINTS:
        raise click.BadParameter(f"one of {', '.join(CRASH_POINTS[1:])}", param_hint="--test-crash-at")
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    try:
        with progress() as display:  # a bar per step on a terminal (shared.cli_output)
            manifest = create_backup(
                settings=settings,
                directory=directory,
                recipients=parse_recipients(recipients, recipient_files),
                progress=display.steps,
                say=click.echo,
                crash_at=test_crash_at,
            )
    except (BackupError, OSError, SQLAlchemyError) as exc:
        raise _fail(exc) from exc
    total = sum(f.size for f in manifest.files)
    click.echo(
        f"backup complete: {len(manifest.files)} file(s), {total} bytes, manifest {directory / 'manifest.json'}"
    )


@click.command("restore")
@data_option
@db_option
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--identity",
    "identity_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The admin's age identity file (age-keygen) that opens the backup's keys.",
)
@click.option("--force", is_flag=True, help="Restore over a data dir or database that is not empty.")
def restore(
    data_dir: Path, db_url: str | None, directory: Path, identity_file: Path | None, force: bool
) -> None:
    """Restore the backup in DIRECTORY into an empty server (--data, --db), after checking every file
    against the manifest; then check that every identity reads back and packet statuses are intact.

    Stop the server and its workers first. Reading each identity back is an audited read."""
    from sync_server.backup.keyfiles import read_identity_file
    from sync_server.backup.manifest import BackupError
    from sync_server.backup.restore import restore_backup

    if identity_file is None:
        raise click.UsageError(
            "give --identity FILE: the backup's server keys are encrypted to the admin's age recipient, and "
            "only the matching identity file opens them"
        )
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    try:
        with progress() as display:
            done = restore_backup(
                settings=settings,
                directory=directory,
                identities_text=read_identity_file(identity_file),
                force=force,
                progress=display.steps,
                say=click.echo,
            )
    except (BackupError, OSError, SQLAlchemyError) as exc:
        raise _fail(exc) from exc
    counts = done.manifest.counts
    statuses = ", ".join(f"{n} {status}" for status, n in counts.packets_by_status.items()) or "no packets"
    schema = "" if done.schema_before == done.schema_head else f"; schema upgraded from {done.schema_before}"
    click.echo(
        f"restore complete: {statuses}; {done.identities_read} identity(ies) read back{schema}; "
        f"start the server on {data_dir}"
    )

"""What the server's click commands share: the ``--data``/``--db`` options and settings as a ClickException.

Light to import (the server is loaded only when :func:`cli_settings` runs), so a command that must
start fast, such as ``openreg id verify``, can share the options too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sync_server.services.masterdata_rules import MasterDataInvalid
    from sync_server.settings import ServerSettings

data_option = click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(path_type=Path),
    envvar="OPENREG_DATA",
    help="Server data directory (database, keys, packet blobs).",
)
db_option = click.option(
    "--db", "db_url", default=None, envvar="OPENREG_DB", help="SQLAlchemy URL (default SQLite under DATA)."
)
# `openreg server` and `openreg worker`; unset, the settings read OPENREG_SERVER_LOG_FORMAT / _LOG_LEVEL
log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines as text, or one JSON object per line (for a log collector)  [default: text]",
)
log_level_option = click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="The least important log lines written  [default: info]",
)


def cli_settings(**values: Any) -> ServerSettings:
    """``bootstrap.load_settings`` for a command: invalid settings end it with one message."""
    from sync_server.bootstrap import SettingsError, load_settings

    try:
        return load_settings(**values)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def cli_state(data_dir: Path, db_url: str | None) -> Any:
    """The server's state (engine, keys, settings) for an admin command; a schema the code does not
    know ends it with one message."""
    from sync_server.bootstrap import build_state
    from sync_server.db.migrate import SchemaError

    try:
        return build_state(cli_settings(data_dir=data_dir, db_url=db_url))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc


def import_refused(exc: MasterDataInvalid) -> click.ClickException:
    """Print each problem of a refused master-data import (file, row, field) and return the one-line
    error to raise from ``exc``; with ``--json`` the problems are in its error object too."""
    for error in exc.errors:
        where = ", ".join(
            x for x in (error.file, f"row {error.row}" if error.row else None, error.field) if x
        )
        click.echo(f"error: {where}: {error.message}", err=True)
    refused = click.ClickException(f"import refused, nothing applied ({len(exc.errors)} problem(s))")
    refused.details = {  # type: ignore[attr-defined]  # read by shared.cli_output.echo_json_error
        "problems": [
            {"file": e.file, "row": e.row, "field": e.field, "message": e.message} for e in exc.errors
        ]
    }
    return refused

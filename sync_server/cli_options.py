"""What the server's click commands share: the ``--data``/``--db`` options and settings as a ClickException.

Light to import (the server is loaded only when :func:`cli_settings` runs), so a command that must
start fast, such as ``openreg id verify``, can share the options too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
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


def cli_settings(**values: Any) -> ServerSettings:
    """``bootstrap.load_settings`` for a command: invalid settings end it with one message."""
    from sync_server.bootstrap import SettingsError, load_settings

    try:
        return load_settings(**values)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc

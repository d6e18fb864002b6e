"""What the server's click commands share: the ``--data``/``--db`` options and settings as a ClickException."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sync_server.bootstrap import SettingsError, load_settings
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
    try:
        return load_settings(**values)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc

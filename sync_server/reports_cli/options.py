"""What the ``openreg admin reports`` commands share: the ``--db``/``--data`` options and the report
parts opened over that database and data dir."""

from __future__ import annotations

from pathlib import Path

import click

from sync_server.bootstrap import open_engine
from sync_server.cli_options import cli_settings
from sync_server.report_parts import ReportParts, build_report_parts

db_option = click.option(
    "--db", "db_url", required=True, envvar="OPENREG_DB", help="SQLAlchemy URL of the server DB."
)
data_option = click.option(
    "--data", "data_dir", required=True, type=click.Path(path_type=Path), envvar="OPENREG_DATA"
)


def report_parts(db_url: str, data_dir: Path) -> ReportParts:
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    return build_report_parts(open_engine(settings), settings.data_dir, instance="cli")

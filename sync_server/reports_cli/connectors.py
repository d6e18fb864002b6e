"""``openreg admin reports connectors list|set|delete|test``: report connectors in the server DB.

A URL is read from a file (``--url-file``) or typed without echo (``--url-prompt``), never taken on the
command line, where it would land in shell history and the process list; lists show it redacted.
Changes are audited with the operating-system user as actor (``cli:<user>``). Mounted by the sync
server under ``openreg admin reports``.
"""

from __future__ import annotations

from pathlib import Path

import click

from shared.cli_output import echo_json, json_option
from sync_server.reports.connectors import ConnectorError, ConnectorOptions, Connectors, UnknownConnector
from sync_server.reports_cli.options import data_option, db_option, report_parts
from sync_server.services.audit import cli_actor


def _connectors(db_url: str, data_dir: Path) -> Connectors:
    return report_parts(db_url, data_dir).report_connectors


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in ConnectorOptions.model_fields:
            known = ", ".join(ConnectorOptions.model_fields)
            raise click.BadParameter(
                f"{pair!r}: expected KEY=VALUE with KEY one of {known}", param_hint="--option"
            )
        options[key] = value
    return options


@click.group("connectors")
def connectors() -> None:
    """Databases that report SQL runs on (the built-in 'server' is this server's own)."""


@connectors.command("list")
@db_option
@data_option
@json_option
def list_connectors(db_url: str, data_dir: Path, as_json: bool) -> None:
    """Every connector with its driver and its URL with the password redacted."""
    found = _connectors(db_url, data_dir).list()
    if as_json:
        keys = ("id", "title", "dialect", "driver", "url", "options", "builtin", "updated_at", "updated_by")
        echo_json({"connectors": [{k: c[k] for k in keys} for c in found]})
        return
    for c in found:
        click.echo(f"{c['id']:<20} {c['driver']:<34} {c['url'] or '-'}  {c['title']}")


@connectors.command("set")
@db_option
@data_option
@click.argument("connector_id")
@click.option("--title", help="Shown in lists (required for a new connector).")
@click.option(
    "--url-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding the SQLAlchemy URL (with its password).",
)
@click.option("--url-prompt", is_flag=True, help="Type the URL without echo.")
@click.option(
    "--option", "pairs", multiple=True, metavar="KEY=VALUE", help="pool_size, timeout_s, max_rows, ..."
)
def set_connector(
    db_url: str,
    data_dir: Path,
    connector_id: str,
    title: str | None,
    url_file: Path | None,
    url_prompt: bool,
    pairs: tuple[str, ...],
) -> None:
    """Create or update a connector; on update, what is not given is kept (options are merged)."""
    if url_file and url_prompt:
        raise click.UsageError("give --url-file or --url-prompt, not both")
    url = url_file.read_text().strip() if url_file else None
    if url_prompt:
        url = click.prompt("Database URL", hide_input=True).strip()
    store = _connectors(db_url, data_dir)
    options = None
    if pairs:
        current = next((c["options"] for c in store.list() if c["id"] == connector_id), {})
        options = {**current, **_parse_options(pairs)}
    try:
        store.save(connector_id, title=title, url=url, options=options, actor=cli_actor())
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"saved {connector_id}")


@connectors.command("delete")
@db_option
@data_option
@click.argument("connector_id")
def delete_connector(db_url: str, data_dir: Path, connector_id: str) -> None:
    try:
        _connectors(db_url, data_dir).delete(connector_id, actor=cli_actor())
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {connector_id}")


@connectors.command("test")
@db_option
@data_option
@click.argument("connector_id")
def test_connector(db_url: str, data_dir: Path, connector_id: str) -> None:
    """Connect and run SELECT 1 read-only."""
    store = _connectors(db_url, data_dir)
    try:
        click.echo(store.test(connector_id))
    except UnknownConnector as exc:
        raise click.ClickException(str(exc)) from None
    except ConnectorError as exc:
        raise click.ClickException(f"failed: {exc}") from None
    finally:
        store.dispose()

"""``openreg admin reports destinations list|set|delete|test``: report destinations in the server DB.

Secrets (password, private key) are read from a file or a hidden prompt, stored encrypted with the
server data key and never printed. Changes are audited with the operating-system user as actor
(``cli:<user>``). Mounted by the sync server under ``openreg admin reports``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from shared.cli_output import echo_json, json_option
from sync_server.reports.delivery import KINDS
from sync_server.reports.destinations import (
    MAX_SECRET,
    DestinationError,
    ReportDestinations,
    UnknownDestination,
)
from sync_server.reports_cli.options import data_option, db_option, report_parts
from sync_server.services.audit import cli_actor


def _service(db_url: str, data_dir: Path) -> ReportDestinations:
    return report_parts(db_url, data_dir).report_destinations


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` pairs as strings (the config model reads numbers and true/false from them);
    ``key=null`` clears an optional field."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--option")
        values[key.strip()] = None if raw == "null" else raw
    return values


@click.group("destinations")
def destinations() -> None:
    """Where report runs deliver: folders, SFTP, FTP and FTPS servers."""


@destinations.command("list")
@db_option
@data_option
@json_option
def list_destinations(db_url: str, data_dir: Path, as_json: bool) -> None:
    """Every destination with its kind, target and whether its secret is set (never the secret)."""
    found = _service(db_url, data_dir).list()
    if as_json:
        keys = ("id", "title", "kind", "config", "secret_label", "has_secret", "updated_at", "updated_by")
        echo_json({"destinations": [{k: d[k] for k in keys} | {"target": _target(d)} for d in found]})
        return
    for d in found:
        target = _target(d)
        label = d["secret_label"]
        secret = "-" if label is None else f"{label} {'set' if d['has_secret'] else 'MISSING'}"
        click.echo(f"{d['id']:<20} {d['kind']:<6} {target:<48} {secret:<18} {d['title']}")


def _target(destination: dict[str, Any]) -> str:
    c = destination["config"] or {}
    return c.get("folder") or f"{c.get('username')}@{c.get('host')}:{c.get('port')}/{c.get('remote_dir')}"


@destinations.command("set")
@db_option
@data_option
@click.argument("destination_id")
@click.option("--title", help="Required for a new destination.")
@click.option("--kind", type=click.Choice(KINDS), help="Required for a new destination.")
@click.option("--config-json", help="The whole config as a JSON object (replaces the stored config).")
@click.option(
    "--option", "pairs", multiple=True, metavar="KEY=VALUE", help="Set one config field (repeatable)."
)
@click.option(
    "--secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding the password or the SFTP private key (PEM).",
)
@click.option("--password-prompt", is_flag=True, help="Ask for the password without echoing it.")
def save_destination(
    db_url: str,
    data_dir: Path,
    destination_id: str,
    title: str | None,
    kind: str | None,
    config_json: str | None,
    pairs: tuple[str, ...],
    secret_file: Path | None,
    password_prompt: bool,
) -> None:
    """Create or change a destination. The config starts from --config-json, else from the stored
    config (same kind), and --option fields are set on top. Without a new secret the stored one stays."""
    if secret_file and password_prompt:
        raise click.UsageError("give either --secret-file or --password-prompt")
    service = _service(db_url, data_dir)
    try:
        current: dict[str, Any] | None = service.get(destination_id)
    except UnknownDestination:
        current = None
    kind = kind or (current["kind"] if current else None)
    title = title or (current["title"] if current else None)
    if kind is None or title is None:
        raise click.UsageError(f"{destination_id} is a new destination: give --title and --kind")
    if config_json is not None:
        try:
            config = json.loads(config_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--config-json") from None
        if not isinstance(config, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--config-json")
    else:
        config = dict(current["config"]) if current and current["kind"] == kind else {}
    config |= _options(pairs)
    secret = None
    if secret_file:
        if secret_file.stat().st_size > MAX_SECRET:
            raise click.BadParameter(f"larger than {MAX_SECRET} bytes", param_hint="--secret-file")
        secret = secret_file.read_text()
        secret = secret if "PRIVATE KEY" in secret else secret.rstrip("\r\n")  # a password file's newline
    elif password_prompt:
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        saved = service.save(
            destination_id, title=title, kind=kind, config=config, secret=secret, actor=cli_actor()
        )
    except DestinationError as exc:
        raise click.ClickException(str(exc)) from None
    state = "secret set" if saved["has_secret"] else "no secret"
    click.echo(f"saved {saved['id']} ({saved['kind']}, {state})")


@destinations.command("delete")
@db_option
@data_option
@click.argument("destination_id")
def delete_destination(db_url: str, data_dir: Path, destination_id: str) -> None:
    """Delete a destination and its secret (refused while a report routes to it)."""
    try:
        _service(db_url, data_dir).delete(destination_id, actor=cli_actor())
    except (UnknownDestination, DestinationError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {destination_id}")


@destinations.command("test")
@db_option
@data_option
@click.argument("destination_id")
def test_destination(db_url: str, data_dir: Path, destination_id: str) -> None:
    """Connect and list the target folder; exits 1 when that fails."""
    try:
        detail = _service(db_url, data_dir).test(destination_id)
    except UnknownDestination as exc:
        raise click.ClickException(str(exc)) from None
    if not detail.startswith("ok:"):
        raise click.ClickException(detail)
    click.echo(detail)

"""``openreg admin mappings list|set|delete|import|export|lookup``: mapping sets in the server DB.

Changes are audited with the operating-system user as actor (``cli:<user>``). Mounted by the sync
server: ``admin.add_command(mappings)``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option
from sync_server.reports.mapping_csv import MAX_IMPORT_BYTES
from sync_server.reports.mapping_rules import MissingMapping
from sync_server.reports.mappings import MappingError, MappingLookup, MappingSets, UnknownMappingSet
from sync_server.reports_cli.options import data_option, db_option, report_parts
from sync_server.services.audit import cli_actor


def _service(db_url: str, data_dir: Path) -> MappingSets:
    return report_parts(db_url, data_dir).report_mappings


@click.group("mappings")
def mappings() -> None:
    """Cross-reference mappings used by reports: sets of effective-dated key -> value entries."""


@mappings.command("list")
@db_option
@data_option
@json_option
def list_sets(db_url: str, data_dir: Path, as_json: bool) -> None:
    """Every mapping set with its missing-key rule and entry count."""
    found = _service(db_url, data_dir).sets()
    if as_json:
        keys = ("id", "title", "entries", "on_missing", "fallback")
        echo_json({"mapping_sets": [{k: s.get(k) for k in keys} for s in found]})
        return
    for s in found:
        rule = f"fallback={s['fallback']!r}" if s["on_missing"] == "fallback" else s["on_missing"]
        click.echo(f"{s['id']:<24} {s['entries']:>7} entries  {rule:<20} {s['title']}")


@mappings.command("set")
@db_option
@data_option
@click.argument("set_id")
@click.option("--title", help="Required for a new set.")
@click.option(
    "--on-missing",
    type=click.Choice(["fail", "fallback", "keep"]),
    help="A key with no entry: fail the run, give --fallback, or keep the key (new set: fail).",
)
@click.option("--fallback", help="The value for a missing key when --on-missing=fallback.")
def save_set(
    db_url: str, data_dir: Path, set_id: str, title: str | None, on_missing: str | None, fallback: str | None
) -> None:
    """Create a mapping set, or change what is given of its title and missing-key rule."""
    service = _service(db_url, data_dir)
    current = service.get_set(set_id) or {"title": None, "on_missing": "fail", "fallback": None}
    title = title if title is not None else current["title"]
    if title is None:
        raise click.ClickException(f"{set_id} is a new set: give it a --title")
    try:
        saved = service.save_set(
            set_id,
            title=title,
            on_missing=on_missing or current["on_missing"],
            fallback=fallback if fallback is not None else current["fallback"],
            actor=cli_actor(),
        )
    except MappingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"saved {saved['id']} ({saved['entries']} entries)")


@mappings.command("delete")
@db_option
@data_option
@click.argument("set_id")
def delete_set(db_url: str, data_dir: Path, set_id: str) -> None:
    """Delete a mapping set and all its entries."""
    try:
        gone = _service(db_url, data_dir).delete_set(set_id, actor=cli_actor())
    except UnknownMappingSet as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {set_id} and its {gone} entries")


@mappings.command("import")
@db_option
@data_option
@click.argument("set_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace every entry of the set (default: add to them).")
@json_option
def import_file(db_url: str, data_dir: Path, set_id: str, file: Path, replace: bool, as_json: bool) -> None:
    """Import a CSV file (key,value,effective_from,effective_to); any bad row imports nothing."""
    if file.stat().st_size > MAX_IMPORT_BYTES:
        raise click.ClickException(f"{file} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        result = _service(db_url, data_dir).import_csv(
            set_id, file.read_bytes(), replace=replace, actor=cli_actor()
        )
    except UnknownMappingSet as exc:
        raise click.ClickException(str(exc)) from None
    if not result.ok:
        for error in result.errors:
            click.echo(f"{file.name}:{error.line}: {error.reason}", err=True)
        if result.error_count > len(result.errors):
            click.echo(f"... and {result.error_count - len(result.errors)} more", err=True)
        refused = click.ClickException(f"{result.error_count} bad row(s): nothing was imported")
        refused.details = {  # type: ignore[attr-defined]  # the --json error object carries them
            "rows": [{"line": e.line, "reason": e.reason} for e in result.errors],
            "error_count": result.error_count,
        }
        raise refused
    if as_json:
        echo_json(
            {"set_id": set_id, "imported": result.imported, "replaced": result.deleted if replace else None}
        )
        return
    click.echo(f"imported {result.imported} entries" + (f", replaced {result.deleted}" if replace else ""))


@mappings.command("export")
@db_option
@data_option
@click.argument("set_id")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def export_file(db_url: str, data_dir: Path, set_id: str, target: Path | None) -> None:
    """Write the set's entries as CSV in the import format."""
    try:
        data = _service(db_url, data_dir).export_csv(set_id)
    except UnknownMappingSet as exc:
        raise click.ClickException(str(exc)) from None
    if target is None:
        click.echo(data, nl=False)
    else:
        target.write_bytes(data)
        click.echo(f"{target}")


@mappings.command("lookup")
@db_option
@data_option
@click.argument("set_id")
@click.argument("key")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: today (UTC).")
def lookup(db_url: str, data_dir: Path, set_id: str, key: str, on: dt.datetime | None) -> None:
    """Print what KEY maps to on a date, as a report run would see it."""
    engine = _service(db_url, data_dir).engine
    try:
        value = MappingLookup(engine, ttl_s=0).lookup(set_id, key, on.date() if on else None)
    except (UnknownMappingSet, MissingMapping) as exc:
        raise click.ClickException(str(exc)) from None
    if value is None:
        click.echo("(no value: the set's fallback is empty)", err=True)
    else:
        click.echo(value)

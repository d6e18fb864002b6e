"""``openreg admin reports ...``: report definitions (versioned), runs, their logs and artifacts, and the
connectors, destinations and mapping sets they use — from the server database and data dir.

Mounted by the sync server: ``admin.add_command(reports)``.
"""

from __future__ import annotations

import json
import shutil
import time
import zoneinfo
from pathlib import Path

import click

from shared.cli_output import echo_json, json_option, progress
from sync_server.reports.artifacts import ChecksumMismatch, verify_artifact
from sync_server.reports.definitions import DefinitionNotFound, InvalidDefinition, VersionConflict, parse_spec
from sync_server.reports.runlog import run_events
from sync_server.reports.runner import RunRefused
from sync_server.reports.schedule import next_runs
from sync_server.reports_cli.connectors import connectors
from sync_server.reports_cli.destinations import destinations
from sync_server.reports_cli.mappings import mappings
from sync_server.reports_cli.options import data_option, db_option, report_parts
from sync_server.services.audit import cli_actor
from sync_server.services.clock import utcnow

MAX_SPEC_BYTES = 1_000_000


@click.group("reports")
def reports() -> None:
    """Reports: definitions, runs, logs, artifacts; connectors, destinations, mapping sets."""


reports.add_command(connectors)
reports.add_command(destinations)
reports.add_command(mappings)


@reports.command("list")
@db_option
@data_option
@click.option("--runs", "show_runs", is_flag=True, help="Show recent runs too.")
@json_option
def list_reports(db_url: str, data_dir: Path, show_runs: bool, as_json: bool) -> None:
    """Definitions: id, schedule, formats, state, version, title."""
    service = report_parts(db_url, data_dir).reports
    if as_json:
        document: dict = {
            "definitions": [
                {
                    "id": d.id,
                    "cron": d.spec.schedule.cron,
                    "timezone": d.spec.schedule.timezone,
                    "formats": list(d.spec.formats),
                    "active": d.active,
                    "version": d.version,
                    "title": d.title,
                }
                for d in service.definitions.list()
            ]
        }
        if show_runs:
            document["runs"] = [_run_document(run) for run in service.runs(limit=20)]
        echo_json(document)
        return
    for d in service.definitions.list():
        state = "active" if d.active else "inactive"
        cron = d.spec.schedule.cron or "-"
        click.echo(
            f"{d.id:<22} {cron:<16} {','.join(d.spec.formats):<13} {state:<8} v{d.version:<4} {d.title}"
        )
    if show_runs:
        for run in service.runs(limit=20):
            click.echo(
                f"run {run['id']:>5} {run['definition_id']:<22} {run['status']:<9} rows={run['row_count']} "
                f"{run['started_at']:%Y-%m-%d %H:%M:%S} {run['trigger']}"
                + (f" error={run['error'].splitlines()[0]}" if run["error"] else "")
            )


@reports.command("show")
@db_option
@data_option
@click.argument("definition_id")
@click.option("--version", type=click.IntRange(min=1), default=None, help="An older version.")
def show(db_url: str, data_dir: Path, definition_id: str, version: int | None) -> None:
    """Print a definition's spec as JSON (the format ``set`` reads)."""
    try:
        definition = report_parts(db_url, data_dir).reports.definitions.get(definition_id, version)
    except DefinitionNotFound as exc:
        raise click.ClickException(str(exc.args[0])) from None
    click.echo(f"# {definition.id} version {definition.version}", err=True)
    click.echo(json.dumps(definition.spec.model_dump(mode="json"), indent=2, ensure_ascii=False))


@reports.command("versions")
@db_option
@data_option
@click.argument("definition_id")
@json_option
def versions(db_url: str, data_dir: Path, definition_id: str, as_json: bool) -> None:
    """Every version of a definition: number, author, time."""
    found = report_parts(db_url, data_dir).reports.definitions.versions(definition_id)
    if as_json:
        keys = ("version", "author", "created_at")
        echo_json({"definition_id": definition_id, "versions": [{k: v[k] for k in keys} for v in found]})
        return
    for v in found:
        click.echo(f"v{v['version']:<4} {v['created_at']:%Y-%m-%d %H:%M:%S}  {v['author']}")


@reports.command("set")
@db_option
@data_option
@click.argument("definition_id")
@click.argument("spec_file", type=click.File("rb"))
@click.option(
    "--expected-version", type=click.IntRange(min=1), default=None, help="Refuse if someone saved since."
)
def set_definition(
    db_url: str, data_dir: Path, definition_id: str, spec_file, expected_version: int | None
) -> None:
    """Create or change a definition from a JSON spec file (``-`` for standard input): a new version."""
    data = spec_file.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise click.ClickException(f"the spec is larger than {MAX_SPEC_BYTES:,} bytes")
    parts = report_parts(db_url, data_dir)
    try:
        spec = parse_spec(json.loads(data))
        version = parts.reports.definitions.save(
            definition_id, spec, actor=cli_actor(), expected_version=expected_version
        )
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"the spec is not JSON: {exc}") from None
    except (InvalidDefinition, VersionConflict) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{definition_id}: version {version}")


@reports.command("next")
@db_option
@data_option
@click.argument("definition_id")
@click.option("--count", type=click.IntRange(1, 50), default=5)
@json_option
def next_times(db_url: str, data_dir: Path, definition_id: str, count: int, as_json: bool) -> None:
    """The next run times of a definition's schedule (UTC and its own time zone)."""
    service = report_parts(db_url, data_dir).reports
    spec = service.definitions.get(definition_id).spec
    zone = zoneinfo.ZoneInfo(spec.schedule.timezone)
    times = next_runs(spec.schedule, service.calendar(spec), now=utcnow(), count=count)
    if as_json:
        echo_json(
            {
                "definition_id": definition_id,
                "timezone": spec.schedule.timezone,
                "next_runs": [{"at": at, "local": at.astimezone(zone).isoformat()} for at in times],
            }
        )
        return
    for at in times:
        click.echo(
            f"{at:%Y-%m-%d %H:%M %Z}  ({at.astimezone(zone):%a %Y-%m-%d %H:%M} {spec.schedule.timezone})"
        )


@reports.command("run")
@db_option
@data_option
@click.argument("definition_id")
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A run parameter (repeat)."
)
@json_option
def run_report(
    db_url: str, data_dir: Path, definition_id: str, params: tuple[str, ...], as_json: bool
) -> None:
    """Run a report now, print its timeline and artifacts; exit 1 when it fails."""
    service = report_parts(db_url, data_dir).reports
    parameters = dict(p.split("=", 1) for p in params if "=" in p)
    if len(parameters) != len(params):
        raise click.ClickException("parameters are NAME=VALUE")
    try:
        run_id = service.claim(definition_id, trigger="manual", parameters=parameters)
    except (DefinitionNotFound, RunRefused) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    if not as_json:
        click.echo(f"run {run_id} of {definition_id} ...")
    with progress() as display:
        status = service.execute(
            run_id, progress=lambda stage, rows: display.show("report run", rows, unit="rows", item=stage)
        )
    if as_json:
        run = service.run_row(run_id)
        echo_json(
            {
                "run": _run_document(run) if run else {"id": run_id, "status": status},
                "events": [_event_document(e) for e in run_events(service.engine, run_id)],
                "artifacts": [_artifact_document(a) for a in service.artifacts(run_id)],
            }
        )
        if status == "failed":
            click.echo(f"Error: run {run_id} failed: {run['error'] if run else ''}", err=True)
            raise SystemExit(1)
        return
    for event in run_events(service.engine, run_id):
        click.echo(f"  {event['stage']:<11} {event['level']:<5} {event['message'].splitlines()[0]}")
    run = service.run_row(run_id)
    click.echo(f"run {run_id}: {status}, {run['row_count'] if run else '?'} rows")
    for artifact in service.artifacts(run_id):
        click.echo(f"  {artifact['format']:<4} {artifact['sha256']}  {artifact['path']}")
    if status == "failed":
        raise click.ClickException(f"run {run_id} failed: {run['error'] if run else ''}")


@reports.command("log")
@db_option
@data_option
@click.argument("run_id", type=int)
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run ends.")
@json_option
def log(db_url: str, data_dir: Path, run_id: int, follow: bool, as_json: bool) -> None:
    """A run's timeline and log (with --json and --follow: one document once the run has ended)."""
    service = report_parts(db_url, data_dir).reports
    if service.run_row(run_id) is None:
        raise click.ClickException(f"no run {run_id}")
    after = 0
    events: list[dict] = []
    while True:
        for event in run_events(service.engine, run_id, after=after):
            after = event["id"]
            if as_json:
                events.append(_event_document(event))
            else:
                click.echo(
                    f"{event['at']:%H:%M:%S} {event['stage']:<11} {event['level']:<5} {event['message']}"
                )
        run = service.run_row(run_id)
        if not follow or run is None or run["status"] != "running":
            break
        time.sleep(0.5)
    if as_json:
        echo_json({"run": _run_document(run) if run else None, "events": events})


@reports.command("deliver")
@db_option
@data_option
@click.argument("run_id", type=int)
@click.option("--destination", default=None, help="Only this destination (default: every route).")
def deliver_again(db_url: str, data_dir: Path, run_id: int, destination: str | None) -> None:
    """Deliver a finished run's artifacts again."""
    service = report_parts(db_url, data_dir).reports
    try:
        service.redeliver(run_id, destination_id=destination, actor=cli_actor())
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    for event in run_events(service.engine, run_id):
        if event["stage"] == "delivery":
            click.echo(f"{event['level']:<5} {event['message']}")


@reports.command("download")
@db_option
@data_option
@click.argument("run_id", type=int)
@click.option("--to", "target", required=True, type=click.Path(path_type=Path, file_okay=False))
def download(db_url: str, data_dir: Path, run_id: int, target: Path) -> None:
    """Copy a run's artifacts and checksum files to a folder, verifying each checksum."""
    artifacts = report_parts(db_url, data_dir).reports.artifacts(run_id)
    if not artifacts:
        raise click.ClickException(f"run {run_id} has no artifacts")
    target.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        source = Path(artifact["path"])
        try:
            verify_artifact(source)
        except (ChecksumMismatch, FileNotFoundError) as exc:
            raise click.ClickException(f"{source.name}: {exc}") from None
        for path in (source, source.with_name(source.name + ".sha256")):
            shutil.copyfile(path, target / path.name)
        click.echo(f"{target / source.name}")


def _run_document(run: dict) -> dict:
    """A run row for --json (its parameters are left out: ``show`` and the log word them)."""
    keys = ("id", "definition_id", "definition_version", "trigger", "status", "row_count", "started_at")
    return {**{k: run.get(k) for k in keys}, "ended_at": run.get("ended_at"), "error": run.get("error")}


def _event_document(event: dict) -> dict:
    return {k: event[k] for k in ("id", "at", "stage", "level", "message")}


def _artifact_document(artifact: dict) -> dict:
    return {k: artifact[k] for k in ("format", "path", "sha256", "size")}

"""``openreg admin reports list|run|download``: report definitions, runs and artifacts from the server DB.

Mounted by the sync server: ``admin.add_command(reports)``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from sync_server.bootstrap import open_engine
from sync_server.cli_options import cli_settings
from sync_server.reports.artifacts import ChecksumMismatch, verify_artifact
from sync_server.reports.runner import ReportService
from sync_server.services.report_context import server_report_context

_db = click.option(
    "--db", "db_url", required=True, envvar="OPENREG_DB", help="SQLAlchemy URL of the server DB."
)
_data = click.option(
    "--data", "data_dir", required=True, type=click.Path(path_type=Path), envvar="OPENREG_DATA"
)


def _service(db_url: str, data_dir: Path) -> ReportService:
    settings = cli_settings(data_dir=data_dir, db_url=db_url)
    engine = open_engine(settings)
    return ReportService(
        engine=engine,
        out_dir=settings.data_dir / "reports",
        instance="cli",
        context_factory=lambda: server_report_context(engine),
    )


@click.group("reports")
def reports() -> None:
    """Scheduled reports: definitions, run history, artifacts."""


@reports.command("list")
@_db
@_data
@click.option("--runs", "show_runs", is_flag=True, help="Show recent runs and their artifacts too.")
def list_reports(db_url: str, data_dir: Path, show_runs: bool) -> None:
    service = _service(db_url, data_dir)
    for d in service.definitions():
        state = "active" if d["active"] else "inactive"
        click.echo(
            f"{d['id']:<22} {d['cron'] or '-':<16} {','.join(d['formats']):<13} {state:<8} {d['title']}"
        )
    if show_runs:
        for run in service.runs()[:20]:
            click.echo(
                f"run {run['id']:>5} {run['definition_id']:<22} {run['status']:<9} rows={run['row_count']} "
                f"{run['started_at']:%Y-%m-%d %H:%M:%S} {run['trigger']}"
                + (f" error={run['error'].splitlines()[0]}" if run["error"] else "")
            )


@reports.command("run")
@_db
@_data
@click.argument("definition_id")
def run_report(db_url: str, data_dir: Path, definition_id: str) -> None:
    """Run a report now and print its artifacts."""
    service = _service(db_url, data_dir)
    click.echo(f"running {definition_id} ...")
    try:
        run_id = service.run(definition_id, trigger="manual")
    except KeyError as exc:
        raise click.ClickException(str(exc)) from None
    run = next(r for r in service.runs(definition_id) if r["id"] == run_id)
    if run["status"] != "succeeded":
        raise click.ClickException(f"run {run_id} failed: {run['error']}")
    click.echo(f"run {run_id}: {run['row_count']} rows")
    for artifact in service.artifacts(run_id):
        click.echo(f"  {artifact['format']:<4} {artifact['sha256']}  {artifact['path']}")


@reports.command("download")
@_db
@_data
@click.argument("run_id", type=int)
@click.option("--to", "target", required=True, type=click.Path(path_type=Path, file_okay=False))
def download(db_url: str, data_dir: Path, run_id: int, target: Path) -> None:
    """Copy a run's artifacts and checksum files to a folder, verifying each checksum."""
    artifacts = _service(db_url, data_dir).artifacts(run_id)
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

"""The reports pages of the console (admin and report managers, see access.PAGES): the report
definitions with their last and next run; a definition's page (source, next run times, triggers,
routes, a run form with its parameters, its runs); its versions; artifact downloads over the console
session (the admin API's download needs a bearer token).

The editor is ``reports_edit``, run details and the live log ``reports_run``; their routers are
mounted here, before the definition routes. Shared parts: ``reports_common``.
"""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from sync_server.api.deps import SessionDep
from sync_server.console.guard import PostedForm
from sync_server.console.pages import reports_edit, reports_run
from sync_server.console.pages.reports_common import (
    ReportsDep,
    ReportsView,
    not_found,
    parameter_inputs,
    posted_parameters,
    run_row,
    title_of,
    utc,
    when,
)
from sync_server.console.web import View, redirect, render
from sync_server.reports.definitions import Definition, DefinitionNotFound
from sync_server.reports.run_api import MEDIA_TYPES, ArtifactName, DefinitionId, RunId
from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.schedule import next_runs
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

router = APIRouter(prefix="/console", include_in_schema=False)
router.include_router(reports_edit.router)
router.include_router(reports_run.router)
DEFINITION = "/reports/{definition_id:report_definition}"
Version = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
RUNS_PER_PAGE = 25
NEXT_RUNS = 5
# seconds between re-fetches of a page that shows a running run (console.js data-refresh)
REFRESH_S = 5


def _upcoming(service: ReportService, definition: Definition, count: int) -> list[dict[str, Any]]:
    """The next run times of an active definition's schedule (what the scheduler will use), in UTC
    and in the schedule's zone."""
    spec = definition.spec
    if not definition.active:
        return []
    try:
        times = next_runs(spec.schedule, service.calendar(spec), now=utcnow(), count=count)
    except ValueError:  # a holiday calendar the scheduler cannot read either
        return []
    zone = zoneinfo.ZoneInfo(spec.schedule.timezone)
    return [when(t) | {"local": f"{t.astimezone(zone):%Y-%m-%d %H:%M %Z}"} for t in times]


def _summary(view: View, service: ReportService, definition: Definition) -> dict[str, Any]:
    spec = definition.spec
    upcoming = _upcoming(service, definition, 1)
    return {
        "id": definition.id,
        "title": title_of(view, definition),
        "version": definition.version,
        "owner": definition.owner,
        "source": spec.source.kind,
        "cron": spec.schedule.cron,
        "timezone": spec.schedule.timezone,
        "active": definition.active,
        "formats": list(spec.formats),
        "next": upcoming[0] if upcoming else None,
    }


@router.get("/reports")
def reports(view: ReportsView, service: ReportsDep) -> Response:
    rows = []
    for definition in service.definitions.list():
        runs = service.runs(definition.id, limit=1)
        rows.append(_summary(view, service, definition) | {"last": run_row(runs[0]) if runs else None})
    running = any(r["last"] and r["last"]["status"] == "running" for r in rows)
    return render(view, "reports.html", definitions=rows, refresh=REFRESH_S if running else None)


def _definition_page(
    view: View,
    service: ReportService,
    definition: Definition,
    *,
    page_number: int = 1,
    flashes: list[tuple[str, str]] | None = None,
    run_values: dict[str, Any] | None = None,
    run_error: str | None = None,
) -> Response:
    runs = service.runs(definition.id, limit=RUNS_PER_PAGE + 1, offset=(page_number - 1) * RUNS_PER_PAGE)
    shown = [run_row(r, service) for r in runs[:RUNS_PER_PAGE]]
    running = any(r["status"] == "running" for r in shown)
    spec = definition.spec
    return render(
        view,
        "reports_definition.html",
        status=422 if run_error else 200,
        definition=_summary(view, service, definition),
        spec=spec,
        description=spec.description,
        upcoming=_upcoming(service, definition, NEXT_RUNS),
        inputs=parameter_inputs(spec, run_values),
        run_error=run_error,
        runs=shown,
        page=page_number,
        more=len(runs) > RUNS_PER_PAGE,
        refresh=REFRESH_S if running else None,
        flashes=flashes or [],
    )


@router.get(DEFINITION)
def definition_page(
    view: ReportsView,
    service: ReportsDep,
    definition_id: DefinitionId,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    saved: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    unchanged: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    try:
        definition = service.definitions.get(definition_id)
    except DefinitionNotFound:
        return not_found(view)
    flashes = []
    if saved:
        key = "reports.saved_unchanged" if unchanged else "reports.saved_version"
        flashes.append(("ok", view.t(key, version=saved)))
    return _definition_page(view, service, definition, page_number=page_number, flashes=flashes)


@router.post(DEFINITION + "/run")
def run_now(
    view: ReportsView,
    session: SessionDep,
    definition_id: DefinitionId,
    form: PostedForm,
    service: ReportsDep,
    tasks: BackgroundTasks,
) -> Response:
    """Claim a manual run with the form's parameters (a refused one starts nothing and shows why on
    the form), run it after the response (as the admin API does), audited as ``reports.run``, and
    show its details."""
    try:
        definition = service.definitions.get(definition_id)
    except DefinitionNotFound:
        return not_found(view)
    parameters = posted_parameters(definition.spec, form)
    try:
        run_id = service.claim(definition_id, trigger="manual", parameters=parameters)
    except RunRefused as exc:
        return _definition_page(view, service, definition, run_values=parameters, run_error=str(exc))
    if run_id is None:  # only a scheduled or triggered run can lose its claim; kept for safety
        return redirect(view, f"/console/reports/{definition_id}")
    append_audit(
        session, actor=view.user.username, action="reports.run", target=definition_id, details={"run": run_id}
    )
    tasks.add_task(service.execute, run_id)
    return redirect(view, f"/console/reports/runs/{run_id}")


@router.get(DEFINITION + "/versions")
def versions(view: ReportsView, service: ReportsDep, definition_id: DefinitionId) -> Response:
    return _versions_page(view, service, definition_id, None)


@router.get(DEFINITION + "/versions/{version}")
def version(
    view: ReportsView, service: ReportsDep, definition_id: DefinitionId, version: Version
) -> Response:
    return _versions_page(view, service, definition_id, version)


def _versions_page(view: View, service: ReportService, definition_id: str, version: int | None) -> Response:
    """Every version (author, time) and, when one is chosen, its spec as formatted JSON."""
    try:
        definition = service.definitions.get(definition_id)
        shown = service.definitions.get(definition_id, version) if version else None
    except DefinitionNotFound:
        return not_found(view)
    rows = [
        {"version": v["version"], "author": v["author"], "at": when(utc(v["created_at"]))}
        for v in service.definitions.versions(definition_id)
    ]
    spec_json = (
        json.dumps(shown.spec.model_dump(mode="json"), indent=2, ensure_ascii=False) if shown else None
    )
    return render(
        view,
        "reports_versions.html",
        definition={"id": definition.id, "title": title_of(view, definition), "version": definition.version},
        versions=rows,
        shown=version,
        spec_json=spec_json,
    )


@router.get("/reports/runs/{run_id}/artifacts/{name}")
def download(view: ReportsView, service: ReportsDep, run_id: RunId, name: ArtifactName) -> Response:
    """One artifact of a run (``csv``, ``json``, ``xml``, ``pdf``, ``meta``) or its checksum file
    (``<format>.sha256``)."""
    fmt, _, suffix = name.partition(".")
    artifact = next((a for a in service.artifacts(run_id) if a["format"] == fmt), None)
    if artifact is None:
        return not_found(view)
    path = Path(artifact["path"])
    if suffix:
        path = path.with_name(path.name + ".sha256")
    if not path.is_file():  # removed from disk since the run (retention, an operator)
        return not_found(view)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if suffix:
        return FileResponse(path, media_type="text/plain", filename=path.name, headers=headers)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
        filename=path.name,
        headers=headers | {"X-Checksum-SHA256": artifact["sha256"]},
    )

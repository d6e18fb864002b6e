"""The reports page of the console (admin and report managers, see access.PAGES): the report
definitions with their last and next run, "run now", each definition's runs with their artifacts, and
artifact downloads over the console session (the admin API's download needs a bearer token).

Reports live in the process's backend (``state.backend.reports``, a ``ReportService``); a server run
with ``--workers 0`` has none, and the page says so. Definitions are edited elsewhere (the reports
portal); this page only views runs and starts them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import FileResponse, Response

from sync_server.api.deps import SessionDep, StateDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.i18n import tables
from sync_server.console.web import View, redirect, render
from sync_server.reports.api import ArtifactName, DefinitionId, RunId
from sync_server.reports.runner import ReportService, cron_trigger
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow
from sync_server.state import ServerState

router = APIRouter(prefix="/console", include_in_schema=False)
ReportsView = Annotated[View, page("reports")]

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "pdf": "application/pdf"}
BADGES = {"succeeded": "ok", "running": "warn", "failed": "bad"}
STATUS_WORDS = {s: f"reports.status_{s}" for s in BADGES}
TRIGGER_WORDS = {"manual": "reports.trigger_manual", "schedule": "reports.trigger_schedule"}
RUNS_PER_PAGE = 25
# seconds between re-fetches of a page that shows a running run (console.js data-refresh)
REFRESH_S = 5


def _service(state: ServerState) -> ReportService | None:
    backend = state.backend
    return backend.reports if backend is not None else None


def _no_backend(view: View) -> Response:
    # 200, not 503: the page works and explains; nothing the browser retries would change (the role
    # walk also counts any 5xx on a page as a fault)
    return render(view, "message.html", title_key="reports.no_backend", text_key="reports.no_backend_text")


def _not_found(view: View) -> Response:
    return render(
        view, "message.html", status=404, title_key="reports.not_found", text_key="reports.not_found_text"
    )


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _when(moment: dt.datetime | None) -> dict[str, str] | None:
    moment = _utc(moment)
    if moment is None:
        return None
    moment = moment.astimezone(dt.UTC)
    return {"iso": moment.isoformat(timespec="seconds"), "text": f"{moment:%Y-%m-%d %H:%M:%S} UTC"}


def _next_run(definition: dict[str, Any]) -> dict[str, str] | None:
    """The next fire time of an active definition's schedule (what the scheduler will use)."""
    if not definition["active"] or not definition["cron"]:
        return None
    try:
        fire = cron_trigger(definition["cron"]).get_next_fire_time(None, utcnow())
    except ValueError:  # a cron text the scheduler cannot read either
        return None
    return _when(fire)


def _run_row(run: dict[str, Any], service: ReportService | None = None) -> dict[str, Any]:
    row = {
        "id": run["id"],
        "status": run["status"],
        "badge": BADGES.get(run["status"], "muted"),
        "status_key": STATUS_WORDS.get(run["status"]),
        "trigger": run["trigger"],
        "trigger_key": TRIGGER_WORDS.get(run["trigger"]),
        "started": _when(run["started_at"]),
        "ended": _when(run["ended_at"]),
        "row_count": run["row_count"],
        "error": run["error"],
    }
    if service is not None:
        row["artifacts"] = [
            {"format": a["format"], "size": a["size"], "sha256": a["sha256"]}
            for a in service.artifacts(run["id"])
        ]
    return row


def _title(view: View, definition: dict[str, Any]) -> str:
    """A built-in report's title in the page's language; a user-defined one as its owner wrote it."""
    key = f"reports.builtin.{definition['id']}"
    return view.t(key) if key in tables()["eng"] else str(definition["title"])


@router.get("/reports")
def reports(view: ReportsView, state: StateDep) -> Response:
    service = _service(state)
    if service is None:
        return _no_backend(view)
    rows = []
    for definition in service.definitions():
        runs = service.runs(definition["id"])
        rows.append(
            {
                "id": definition["id"],
                "title": _title(view, definition),
                "cron": definition["cron"],
                "active": definition["active"],
                "last": _run_row(runs[0]) if runs else None,
                "next": _next_run(definition),
            }
        )
    running = any(r["last"] and r["last"]["status"] == "running" for r in rows)
    return render(view, "reports.html", definitions=rows, refresh=REFRESH_S if running else None)


@router.get("/reports/{definition_id}")
def report_runs(
    view: ReportsView,
    state: StateDep,
    definition_id: DefinitionId,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    started: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    service = _service(state)
    if service is None:
        return _no_backend(view)
    definition = next((d for d in service.definitions() if d["id"] == definition_id), None)
    if definition is None:
        return _not_found(view)
    runs = service.runs(definition_id)
    first = (page_number - 1) * RUNS_PER_PAGE
    shown = [_run_row(r, service) for r in runs[first : first + RUNS_PER_PAGE]]
    running = any(r["status"] == "running" for r in shown)
    flashes = [("ok", view.t("reports.started"))] if started else []
    return render(
        view,
        "reports_runs.html",
        definition=definition | {"title": _title(view, definition)},
        next_run=_next_run(definition),
        runs=shown,
        total=len(runs),
        page=page_number,
        pages=max(1, -(-len(runs) // RUNS_PER_PAGE)),
        refresh=REFRESH_S if running else None,
        flashes=flashes,
    )


@router.post("/reports/{definition_id}/run")
def run_now(
    view: ReportsView,
    state: StateDep,
    session: SessionDep,
    definition_id: DefinitionId,
    _form: PostedForm,
    tasks: BackgroundTasks,
) -> Response:
    """Start a manual run after the response (as the admin API does), audited as ``reports.run``, and
    show the definition's runs."""
    service = _service(state)
    if service is None:
        return _no_backend(view)
    if definition_id not in {d["id"] for d in service.definitions()}:
        return _not_found(view)
    append_audit(session, actor=view.user.username, action="reports.run", target=definition_id)
    tasks.add_task(service.run, definition_id, trigger="manual")
    return redirect(view, f"/console/reports/{definition_id}?started=1")


@router.get("/reports/runs/{run_id}/artifacts/{name}")
def download(view: ReportsView, state: StateDep, run_id: RunId, name: ArtifactName) -> Response:
    """One artifact of a run (``csv``, ``json``, ``pdf``) or its checksum file (``pdf.sha256``)."""
    service = _service(state)
    if service is None:
        return _no_backend(view)
    fmt, _, suffix = name.partition(".")
    artifact = next((a for a in service.artifacts(run_id) if a["format"] == fmt), None)
    if artifact is None:
        return _not_found(view)
    path = Path(artifact["path"])
    if suffix:
        path = path.with_name(path.name + ".sha256")
    if not path.is_file():  # removed from disk since the run (retention, an operator)
        return _not_found(view)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if suffix:
        return FileResponse(path, media_type="text/plain", filename=path.name, headers=headers)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
        filename=path.name,
        headers=headers | {"X-Checksum-SHA256": artifact["sha256"]},
    )

"""A run's details page: status, definition version, trigger, parameters, times, rows, error; its
timeline (events), validation results, deliveries ("deliver again"), artifacts; "run again" with the
same or new parameters. While the run goes on, console.js follows the live log (Server-Sent Events,
``/events/stream``, the admin API's ``event_stream`` over the console session) and reloads the page
when the run ends; without script the page has a refresh link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query
from fastapi.responses import Response, StreamingResponse

from sync_server.api.deps import SessionDep
from sync_server.console.guard import PostedForm
from sync_server.console.pages.reports_common import (
    BADGES,
    ReportsDep,
    ReportsView,
    not_found,
    parameter_inputs,
    posted_parameters,
    status_key,
    title_of,
    trigger_key,
    when,
)
from sync_server.console.web import View, redirect, render
from sync_server.reports.definitions import DefinitionNotFound
from sync_server.reports.run_api import RunId, event_stream, run_details
from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.spec import INPUT_PARAMETER
from sync_server.services.audit import append_audit

router = APIRouter(include_in_schema=False)
EventId = Annotated[int, Query(ge=0, le=2**31 - 1)]
STAGES = ("run", "query", "mappings", "transform", "validations", "artifacts", "delivery")
LEVEL_BADGES = {"start": "muted", "ok": "ok", "info": "muted", "warn": "warn", "error": "bad"}
DELIVERY_BADGES = {"delivered": "ok", "failed": "bad", "skipped": "muted"}
FLASHES = {"delivering": ("ok", "reports.run_delivering"), "started": ("ok", "reports.run_started")}


def _event(view: View, event: dict[str, Any]) -> dict[str, Any]:
    stage, level = event["stage"], event["level"]
    return {
        "id": event["id"],
        "at": when(event["at"]),
        "stage": view.t(f"reports.stage_{stage}") if stage in STAGES else stage,
        "level": level,
        "level_text": view.t(f"reports.level_{level}") if level in LEVEL_BADGES else level,
        "badge": LEVEL_BADGES.get(level, "muted"),
        "message": event["message"],
    }


def _labels(view: View) -> dict[str, str]:
    """The words the live log needs in the page's language (console.js reads them off the list)."""
    words = {f"stage:{s}": view.t(f"reports.stage_{s}") for s in STAGES}
    return words | {f"level:{lv}": view.t(f"reports.level_{lv}") for lv in LEVEL_BADGES}


def _run_page(
    view: View,
    service: ReportService,
    run: dict[str, Any],
    *,
    flashes: list[tuple[str, str]] | None = None,
    rerun_values: dict[str, Any] | None = None,
    rerun_error: str | None = None,
    status: int = 200,
) -> Response:
    details = run_details(service, run)
    definition = service.definition_of_run(run["id"])
    try:
        current = service.definitions.get(run["definition_id"])
    except DefinitionNotFound:  # pragma: no cover - definitions are never deleted
        current = definition
    destinations = sorted(
        {r.destination for r in definition.spec.routes} | {d["destination_id"] for d in details["deliveries"]}
    )
    events = [_event(view, e) for e in details["events"]]
    running = run["status"] == "running"
    return render(
        view,
        "reports_run.html",
        status=status,
        run=details
        | {
            "badge": BADGES.get(run["status"], "muted"),
            "status_key": status_key(run["status"]),
            "trigger_key": trigger_key(run["trigger"]),
            "started": when(run["started_at"]),
            "ended": when(run["ended_at"]),
            "from_file": Path(str((run["parameters"] or {}).get(INPUT_PARAMETER, ""))).name,
        },
        definition={"id": definition.id, "title": title_of(view, current), "current": current.version},
        events=events,
        live=running,
        last_event=events[-1]["id"] if events else 0,
        labels=_labels(view),
        validations=details["validations"],
        deliveries=[
            d | {"at": when(d["at"]), "badge": DELIVERY_BADGES.get(d["outcome"], "muted")}
            for d in details["deliveries"]
        ],
        destinations=destinations,
        artifacts=details["artifacts"],
        inputs=parameter_inputs(current.spec, rerun_values or details["parameters"]),
        rerun_error=rerun_error,
        flashes=flashes or [],
    )


@router.get("/reports/runs/{run_id}")
def run_page(
    view: ReportsView,
    service: ReportsDep,
    run_id: RunId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    run = service.run_row(run_id)
    if run is None:
        return not_found(view)
    flash = FLASHES.get(done)
    return _run_page(view, service, run, flashes=[(flash[0], view.t(flash[1]))] if flash else [])


@router.get("/reports/runs/{run_id}/events/stream")
def run_events_stream(
    view: ReportsView,
    service: ReportsDep,
    run_id: RunId,
    after: EventId = 0,
    last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The live log as Server-Sent Events (``log`` events, then one ``end`` with the status): those
    after ``?after=`` (what the page showed), or after ``Last-Event-ID`` when the browser reconnects."""
    if service.run_row(run_id) is None:
        return not_found(view)
    return StreamingResponse(
        event_stream(service, run_id, max(after, last_event_id)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/reports/runs/{run_id}/rerun")
def rerun(
    view: ReportsView,
    session: SessionDep,
    run_id: RunId,
    form: PostedForm,
    service: ReportsDep,
    tasks: BackgroundTasks,
) -> Response:
    """Run the definition again (its current version), with this run's parameters, or with the
    form's when it sends ``with_parameters``; audited as ``reports.rerun``."""
    old = service.run_row(run_id)
    if old is None:
        return not_found(view)
    parameters = None
    if form.get("with_parameters"):
        parameters = posted_parameters(service.definitions.get(old["definition_id"]).spec, form)
    try:
        new = service.claim_rerun(run_id, parameters=parameters)
    except RunRefused as exc:
        return _run_page(view, service, old, rerun_values=parameters, rerun_error=str(exc), status=422)
    if new is None:  # pragma: no cover - a rerun's key is unique
        return redirect(view, f"/console/reports/runs/{run_id}")
    append_audit(
        session,
        actor=view.user.username,
        action="reports.rerun",
        target=old["definition_id"],
        details={"run": new, "of": run_id},
    )
    tasks.add_task(service.execute, new)
    return redirect(view, f"/console/reports/runs/{new}?done=started")


@router.post("/reports/runs/{run_id}/deliver")
def deliver_again(
    view: ReportsView,
    session: SessionDep,
    run_id: RunId,
    form: PostedForm,
    service: ReportsDep,
    tasks: BackgroundTasks,
) -> Response:
    """Deliver a finished run's artifacts again, to every route or to the form's ``destination``
    (after the response); audited as ``reports.deliver``."""
    run = service.run_row(run_id)
    if run is None:
        return not_found(view)
    destination = form.get("destination") or None
    routes = {r.destination for r in service.definition_of_run(run_id).spec.routes}
    if run["status"] == "running":
        error = view.t("reports.deliver_running")
    elif not routes or (destination is not None and destination not in routes):
        error = view.t("reports.deliver_unknown")
    else:
        error = None
    if error:
        return _run_page(view, service, run, flashes=[("error", error)], status=409)
    append_audit(
        session,
        actor=view.user.username,
        action="reports.deliver",
        target=run["definition_id"],
        details={"run": run_id, "destination": destination},
    )
    tasks.add_task(service.redeliver, run_id, destination_id=destination, actor=view.user.username)
    return redirect(view, f"/console/reports/runs/{run_id}?done=delivering")

"""Admin HTTP routes for report runs: a definition's runs, one run's details (timeline, validations,
deliveries, artifacts), its live log (JSON after an event id, or Server-Sent Events), artifact
downloads, re-run with the same or new parameters, and delivery again.

No ``from __future__ import annotations``: FastAPI must see the real ``Annotated`` objects.
"""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Header, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from sync_server.reports import run_store
from sync_server.reports.runlog import run_events
from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.spec import INPUT_PARAMETER
from sync_server.services.audit import append_audit

MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
    "meta": "application/json",
}
RunId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
DefinitionId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ArtifactName = Annotated[str, PathParam(pattern=r"^[a-z0-9]{1,16}(\.sha256)?$")]
STREAM_POLL_S = 0.5
STREAM_MAX_S = 3600  # a stream ends after an hour; EventSource reconnects with Last-Event-ID


class Rerun(BaseModel):
    parameters: dict[str, str | int | float | bool | None] | None = Field(None, max_length=32)


class Redeliver(BaseModel):
    destination: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")


def plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def run_details(service: ReportService, run: dict[str, Any]) -> dict[str, Any]:
    run_id = run["id"]
    parameters = {k: v for k, v in (run["parameters"] or {}).items() if k != INPUT_PARAMETER}
    return plain(run) | {
        "parameters": parameters,
        "events": [plain(e) for e in run_events(service.engine, run_id)],
        "validations": [plain(v) for v in run_store.validations(service.engine, run_id)],
        "deliveries": [plain(d) for d in run_store.deliveries(service.engine, run_id)],
        "artifacts": [plain(a) | {"name": Path(a["path"]).name} for a in service.artifacts(run_id)],
    }


def event_stream(
    service: ReportService, run_id: int, after: int, *, poll_s: float = STREAM_POLL_S
) -> Iterator[str]:
    """SSE lines for the run's events after ``after``, until the run has ended and all were sent."""
    deadline = time.monotonic() + STREAM_MAX_S
    yield "retry: 2000\n\n"
    while time.monotonic() < deadline:
        events = run_events(service.engine, run_id, after=after)
        for event in events:
            after = event["id"]
            yield f"id: {after}\nevent: log\ndata: {json.dumps(plain(event), ensure_ascii=False)}\n\n"
        run = run_store.run(service.engine, run_id)
        if not events and (run is None or run["status"] != "running"):
            status = run["status"] if run else "gone"
            yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
            return
        if not events:
            yield ": waiting\n\n"  # keeps proxies from closing an idle stream
            time.sleep(poll_s)


def build_run_router(
    *, report_service: Callable[[], ReportService], report_user: Callable[..., str]
) -> APIRouter:
    router = APIRouter(tags=["reports"])
    Reports = Annotated[ReportService, Depends(report_service)]
    Actor = Annotated[str, Depends(report_user)]

    def found(service: ReportService, run_id: int) -> dict[str, Any]:
        run = service.run_row(run_id)
        if run is None:
            raise HTTPException(404, f"no run {run_id}")
        return run

    @router.get("/reports/{definition_id}/runs")
    def list_runs(
        definition_id: DefinitionId,
        _actor: Actor,
        service: Reports,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> list[dict[str, Any]]:
        return [
            plain(r) | {"artifacts": [plain(a) for a in service.artifacts(r["id"])]}
            for r in service.runs(definition_id, limit=limit, offset=offset)
        ]

    @router.get("/reports/runs/{run_id}")
    def run(run_id: RunId, _actor: Actor, service: Reports) -> dict[str, Any]:
        return run_details(service, found(service, run_id))

    @router.get("/reports/runs/{run_id}/events")
    def events(
        run_id: RunId,
        _actor: Actor,
        service: Reports,
        after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        found(service, run_id)
        return [plain(e) for e in run_events(service.engine, run_id, after=after)]

    @router.get("/reports/runs/{run_id}/events/stream")
    def stream(
        run_id: RunId,
        _actor: Actor,
        service: Reports,
        last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0, le=2**31 - 1)] = 0,
    ) -> StreamingResponse:
        """The live log as Server-Sent Events (``log`` events, then one ``end`` with the status)."""
        found(service, run_id)
        return StreamingResponse(
            event_stream(service, run_id, last_event_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.post("/reports/runs/{run_id}/rerun", status_code=202)
    def rerun(
        run_id: RunId,
        actor: Actor,
        service: Reports,
        tasks: BackgroundTasks,
        body: Annotated[Rerun | None, Body()] = None,
    ) -> dict[str, Any]:
        """Run the same definition again, with the run's parameters or new ones."""
        old = found(service, run_id)
        try:
            new = service.claim_rerun(run_id, parameters=body.parameters if body else None)
        except RunRefused as exc:
            raise HTTPException(422, str(exc)) from None
        with service.engine.begin() as conn:
            append_audit(
                conn,
                actor=actor,
                action="reports.rerun",
                target=old["definition_id"],
                details={"run": new, "of": run_id},
            )
        tasks.add_task(service.execute, new)
        return {"status": "started", "run_id": new}

    @router.post("/reports/runs/{run_id}/deliver", status_code=202)
    def deliver_again(
        run_id: RunId,
        actor: Actor,
        service: Reports,
        tasks: BackgroundTasks,
        body: Annotated[Redeliver | None, Body()] = None,
    ) -> dict[str, Any]:
        run = found(service, run_id)
        if run["status"] == "running":
            raise HTTPException(409, "the run is still going")
        destination = body.destination if body else None
        with service.engine.begin() as conn:
            append_audit(
                conn,
                actor=actor,
                action="reports.deliver",
                target=run["definition_id"],
                details={"run": run_id, "destination": destination},
            )
        tasks.add_task(service.redeliver, run_id, destination_id=destination, actor=actor)
        return {"status": "started"}

    @router.get("/reports/runs/{run_id}/artifacts/{name}")
    def download(run_id: RunId, name: ArtifactName, _actor: Actor, service: Reports) -> FileResponse:
        fmt, _, suffix = name.partition(".")
        artifact = next((a for a in service.artifacts(run_id) if a["format"] == fmt), None)
        path = Path(artifact["path"]) if artifact else None
        if artifact is None or path is None or not path.is_file():
            raise HTTPException(404, "no such artifact")
        if suffix:
            return FileResponse(path.with_name(path.name + ".sha256"), media_type="text/plain")
        return FileResponse(
            path,
            media_type=MEDIA_TYPES.get(fmt),
            filename=path.name,
            headers={"X-Checksum-SHA256": artifact["sha256"]},
        )

    return router

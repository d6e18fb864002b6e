"""Admin HTTP routes for report definitions: list, read, save (a new version each time), versions,
run now with parameters, the webhook key; and the public, HMAC-signed webhook route.

Routes translate HTTP to service calls and nothing else. No ``from __future__ import annotations``:
FastAPI must see the real ``Annotated`` objects of the dependency aliases.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Header, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sync_server.reports.definitions import DefinitionNotFound, InvalidDefinition, VersionConflict, parse_spec
from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.schedule import next_runs
from sync_server.reports.spec import BuiltinSource, ReportSpec
from sync_server.reports.triggers import MAX_WEBHOOK_BODY, TriggerWatcher, WebhookRefused
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

DefinitionId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Version = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
# the paths under /reports/ (API and console) that are not definitions ("new": the console editor)
RESERVED_IDS = {
    "new",
    "runs",
    "connectors",
    "destinations",
    "mappings",
    "mapping-import",
    "hooks",
    "functions",
}


class SaveDefinition(BaseModel):
    spec: dict[str, Any]
    expected_version: int | None = Field(None, ge=1)


class RunRequest(BaseModel):
    parameters: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=32)


def summary(service: ReportService, definition: Any) -> dict[str, Any]:
    """A definition as lists show it (the old fields ``function``, ``cron``, ``formats`` kept)."""
    spec: ReportSpec = definition.spec
    try:
        upcoming = next_runs(spec.schedule, service.calendar(spec), now=utcnow()) if spec.active else []
    except ValueError:
        upcoming = []
    return {
        "id": definition.id,
        "title": spec.title,
        "owner": definition.owner,
        "version": definition.version,
        "active": spec.active,
        "source": spec.source.kind,
        "function": spec.source.function if isinstance(spec.source, BuiltinSource) else None,
        "cron": spec.schedule.cron,
        "timezone": spec.schedule.timezone,
        "formats": list(spec.formats),
        "next_runs": [t.isoformat() for t in upcoming],
    }


def build_definition_router(
    *,
    report_service: Callable[[], ReportService],
    report_user: Callable[..., str],
    watcher: Callable[[], TriggerWatcher],
    on_change: Callable[[], Callable[[], None]],
) -> APIRouter:
    """``on_change`` returns what to call after a save (the scheduler re-reads its jobs)."""
    router = APIRouter(tags=["reports"])
    Reports = Annotated[ReportService, Depends(report_service)]
    Actor = Annotated[str, Depends(report_user)]
    Watcher = Annotated[TriggerWatcher, Depends(watcher)]

    def found(service: ReportService, definition_id: str, version: int | None = None) -> Any:
        try:
            return service.definitions.get(definition_id, version)
        except DefinitionNotFound as exc:
            raise HTTPException(404, str(exc.args[0])) from None

    @router.get("/reports")
    def list_reports(_actor: Actor, service: Reports) -> list[dict[str, Any]]:
        return [summary(service, d) for d in service.definitions.list()]

    @router.get("/reports/{definition_id}")
    def get_report(definition_id: DefinitionId, _actor: Actor, service: Reports) -> dict[str, Any]:
        definition = found(service, definition_id)
        return summary(service, definition) | {"spec": definition.spec.model_dump(mode="json")}

    @router.put("/reports/{definition_id}")
    def save_report(
        definition_id: DefinitionId,
        body: SaveDefinition,
        actor: Actor,
        service: Reports,
        changed: Annotated[Callable[[], None], Depends(on_change)],
    ) -> dict[str, Any]:
        if definition_id in RESERVED_IDS:
            raise HTTPException(422, f"{definition_id!r} is a reserved name; choose another id")
        try:
            version = service.definitions.save(
                definition_id, parse_spec(body.spec), actor=actor, expected_version=body.expected_version
            )
        except InvalidDefinition as exc:
            raise HTTPException(422, str(exc)) from None
        except VersionConflict as exc:
            raise HTTPException(409, str(exc)) from None
        changed()
        return {"id": definition_id, "version": version}

    @router.get("/reports/{definition_id}/versions")
    def versions(definition_id: DefinitionId, _actor: Actor, service: Reports) -> list[dict[str, Any]]:
        found(service, definition_id)
        return [
            {"version": v["version"], "author": v["author"], "created_at": v["created_at"].isoformat()}
            for v in service.definitions.versions(definition_id)
        ]

    @router.get("/reports/{definition_id}/versions/{version}")
    def version(
        definition_id: DefinitionId, version: Version, _actor: Actor, service: Reports
    ) -> dict[str, Any]:
        return found(service, definition_id, version).spec.model_dump(mode="json")

    @router.post("/reports/{definition_id}/run", status_code=202)
    def run_report(
        definition_id: DefinitionId,
        actor: Actor,
        service: Reports,
        tasks: BackgroundTasks,
        body: Annotated[RunRequest | None, Body()] = None,
    ) -> dict[str, Any]:
        found(service, definition_id)
        parameters = (body or RunRequest()).parameters
        try:
            run_id = service.claim(definition_id, trigger="manual", parameters=parameters)
        except RunRefused as exc:
            raise HTTPException(422, str(exc)) from None
        with service.engine.begin() as conn:
            append_audit(
                conn, actor=actor, action="reports.run", target=definition_id, details={"run": run_id}
            )
        tasks.add_task(service.execute, run_id)
        return {"status": "started", "run_id": run_id, "runs": f"/reports/{definition_id}/runs"}

    @router.post("/reports/{definition_id}/webhook-key")
    def new_webhook_key(
        definition_id: DefinitionId, actor: Actor, service: Reports, watch: Watcher
    ) -> dict[str, str]:
        """A new key for the definition's webhook (the old one stops working); shown once."""
        found(service, definition_id)
        return {
            "key": watch.new_webhook_key(definition_id, actor=actor),
            "url": f"/api/v1/reports/hooks/{definition_id}",
        }

    return router


def build_webhook_router(
    *, watcher: Callable[[], TriggerWatcher], report_service: Callable[[], ReportService]
) -> APIRouter:
    """``POST /reports/hooks/{id}``: no bearer token; the HMAC signature is the credential."""
    router = APIRouter(tags=["reports"])
    Watcher = Annotated[TriggerWatcher, Depends(watcher)]
    Reports = Annotated[ReportService, Depends(report_service)]

    @router.post("/reports/hooks/{definition_id}", status_code=202)
    async def webhook(
        definition_id: DefinitionId,
        request: Request,
        watch: Watcher,
        service: Reports,
        tasks: BackgroundTasks,
        timestamp: Annotated[str, Header(alias="X-OpenReg-Timestamp", max_length=20)],
        signature: Annotated[str, Header(alias="X-OpenReg-Signature", max_length=80)],
    ) -> dict[str, Any]:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BODY:
                raise HTTPException(413, "the body is too large")
        try:
            run_id = await run_in_threadpool(
                watch.webhook, definition_id, body=body, timestamp=timestamp, signature=signature
            )
        except DefinitionNotFound:
            raise HTTPException(404, "this report does not take webhook calls") from None
        except WebhookRefused as exc:
            raise HTTPException(exc.status, str(exc)) from None
        tasks.add_task(service.execute, run_id)
        return {"status": "started", "run_id": run_id}

    return router

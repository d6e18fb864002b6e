"""Admin HTTP routes for reports and identity lookup, mounted by the sync server under /api/v1/admin.

The server passes its own dependencies: ``report_service`` returns the request's ``ReportService``,
``id_store`` the ID store (an ``IdentityReader``); ``report_user`` and ``identity_reader`` authenticate
a user token with a role that may use reports, or read identities, and return the user's id (the audit
actor for identity reads). Routes translate HTTP to
service calls and nothing else.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` objects of
the dependency aliases, which are local to the router factory.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from shared.sync.models import PRINTABLE_PATTERN
from sync_server.ports import MAX_PURPOSE_CHARS, IdentityNotFound, IdentityReader
from sync_server.reports.runner import ReportService
from sync_server.services.audit import append_audit

_MEDIA = {"csv": "text/csv", "json": "application/json", "pdf": "application/pdf"}
# Run ids are 32-bit INTEGER columns: refuse (422) what the column cannot hold instead of failing in SQL.
RunId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
# Path parts that reach SQL or the file system get a strict shape (PostgreSQL refuses NUL outright).
DefinitionId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ArtifactName = Annotated[str, PathParam(pattern=r"^[a-z0-9]{1,16}(\.sha256)?$")]
# UINs and RIDs are digits in production; a plain-id alphabet keeps lookups of test or imported ids.
IdentityKey = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Why an identity is read: kept in the audit log, so bounded like every input.
Purpose = Annotated[str, Query(min_length=3, max_length=MAX_PURPOSE_CHARS, pattern=PRINTABLE_PATTERN)]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def build_admin_backend_router(
    *,
    report_service: Callable[[], ReportService],
    id_store: Callable[[], IdentityReader],
    report_user: Callable[..., str],
    identity_reader: Callable[..., str],
) -> APIRouter:
    """Routes: GET reports, GET reports/{id}/runs, POST reports/{id}/run, GET reports/runs/{run}/artifacts,
    GET reports/runs/{run}/artifacts/{format}[.sha256], GET identities/by-uin/{uin}, by-rid/{rid}."""
    router = APIRouter(tags=["admin"])
    # Each route names the caller before the service: a refused role gets 403 even where this server
    # process runs no backend (which would answer 503).
    Reports = Annotated[ReportService, Depends(report_service)]
    Store = Annotated[IdentityReader, Depends(id_store)]
    Admin = Annotated[str, Depends(report_user)]
    Reader = Annotated[str, Depends(identity_reader)]

    @router.get("/reports")
    def list_reports(_admin: Admin, service: Reports) -> list[dict[str, Any]]:
        return [_plain(d) for d in service.definitions()]

    @router.get("/reports/{definition_id}/runs")
    def list_runs(definition_id: DefinitionId, _admin: Admin, service: Reports) -> list[dict[str, Any]]:
        return [
            _plain(r) | {"artifacts": [_plain(a) for a in service.artifacts(r["id"])]}
            for r in service.runs(definition_id)
        ]

    @router.post("/reports/{definition_id}/run", status_code=202)
    def run_report(
        definition_id: DefinitionId, actor: Admin, service: Reports, tasks: BackgroundTasks
    ) -> dict[str, str]:
        if definition_id not in {d["id"] for d in service.definitions()}:
            raise HTTPException(404, f"no report definition {definition_id!r}")
        with service.engine.begin() as conn:
            append_audit(conn, actor=actor, action="reports.run", target=definition_id)
        tasks.add_task(service.run, definition_id, trigger="manual")
        return {"status": "started", "runs": f"/reports/{definition_id}/runs"}

    @router.get("/reports/runs/{run_id}/artifacts/{name}")
    def download(run_id: RunId, name: ArtifactName, _admin: Admin, service: Reports) -> FileResponse:
        fmt, _, suffix = name.partition(".")
        artifact = next((a for a in service.artifacts(run_id) if a["format"] == fmt), None)
        if artifact is None or suffix not in ("", "sha256"):
            raise HTTPException(404, "no such artifact")
        path = Path(artifact["path"])
        if suffix:
            return FileResponse(path.with_name(path.name + ".sha256"), media_type="text/plain")
        return FileResponse(
            path,
            media_type=_MEDIA.get(fmt),
            filename=path.name,
            headers={"X-Checksum-SHA256": artifact["sha256"]},
        )

    @router.get("/identities/by-uin/{uin}")
    def identity_by_uin(uin: IdentityKey, actor: Reader, store: Store, purpose: Purpose) -> dict:
        return _identity(lambda: store.get_by_uin(uin, actor=actor, purpose=purpose))

    @router.get("/identities/by-rid/{rid}")
    def identity_by_rid(rid: IdentityKey, actor: Reader, store: Store, purpose: Purpose) -> dict:
        return _identity(lambda: store.get_by_rid(rid, actor=actor, purpose=purpose))

    return router


def _identity(read: Callable[[], Any]) -> dict[str, Any]:
    try:
        found = read()
    except IdentityNotFound:
        raise HTTPException(404, "no such identity") from None
    except ValueError as exc:  # a blank purpose
        raise HTTPException(422, str(exc)) from None
    return {
        "uin": found.uin,
        "rid": found.rid,
        "version": found.version,
        "center_id": found.center_id,
        "demographics": found.demographics,
        "blobs": [
            {
                "kind": b.kind,
                "name": b.name,
                "content_type": b.content_type,
                "bytes": len(b.data),
                "attributes": b.attributes,
            }
            for b in found.blobs
        ],
    }

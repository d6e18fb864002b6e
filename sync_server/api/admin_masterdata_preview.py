"""Admin API route behind the console's master data preview: what an import would change, applied nowhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shared.sync import ErrorBody, ErrorCode
from sync_server.api.deps import StateDep, user_with
from sync_server.errors import ApiError
from sync_server.http_limits import json_too_deep
from sync_server.services.auth import Principal
from sync_server.services.masterdata import current_row
from sync_server.services.masterdata_preview import ImportPreview, preview_import
from sync_server.services.masterdata_rules import MasterDataInvalid
from sync_server.services.roles import ADMIN, CENTER_ADMIN, center_scope
from sync_server.state import ServerState

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 413, 422)}


@router.post(
    "/masterdata/preview",
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
async def preview_masterdata(
    request: Request,
    principal: Annotated[Principal, user_with(ADMIN, CENTER_ADMIN)],
    state: StateDep,
    filename: Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")] = "import.json",
) -> ImportPreview:
    """The same bodies as ``/masterdata/import``; nothing is applied. Returns per entity the rows
    added, changed (fields old -> new; secrets only said to change) and deleted, and ``base_seq``, the
    log position compared against. 422 ``masterdata_invalid`` lists every problem (file, row, field).
    A center admin may only touch rows of their centers."""
    body = await request.body()  # bounded while it streams (http_limits.BodyLimit, bulk path)
    if "csv" in request.headers.get("content-type", "") and not filename.endswith(".csv"):
        raise ApiError(422, ErrorCode.validation_error, "CSV imports need filename=<entity>.csv")
    if json_too_deep(body, state.settings.max_json_depth):
        detail = f"JSON documents may nest at most {state.settings.max_json_depth} levels"
        raise ApiError(422, ErrorCode.validation_error, detail)
    return await run_in_threadpool(_preview, state, principal, filename, body)


def _preview(state: ServerState, principal: Principal, filename: str, body: bytes) -> ImportPreview:
    with Session(state.engine) as session:
        with session.begin():
            row = current_row(session, "users", principal.subject) or {}
        centers = center_scope(principal.roles, principal.center_id, row)
        try:
            return preview_import(session, [(filename, body)], centers=centers)
        except MasterDataInvalid as exc:
            raise ApiError(
                422,
                ErrorCode.masterdata_invalid,
                f"import invalid, nothing applied: {exc}",
                errors=exc.errors,
            ) from exc

"""Admin API route behind the console's master data preview: what an import would change, applied nowhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shared.sync import ErrorBody, ErrorCode
from sync_server.api.deps import StateDep, user_with
from sync_server.api.import_body import IMPORT_OPENAPI, ImportFilename, read_import
from sync_server.errors import ApiError
from sync_server.services.auth import Principal, principal_centers
from sync_server.services.masterdata_preview import ImportPreview, preview_import
from sync_server.services.masterdata_rules import MasterDataInvalid
from sync_server.services.roles import ADMIN, CENTER_ADMIN
from sync_server.state import ServerState

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 413, 422)}


@router.post("/masterdata/preview", responses=_ERRORS, openapi_extra=IMPORT_OPENAPI)
async def preview_masterdata(
    request: Request,
    principal: Annotated[Principal, user_with(ADMIN, CENTER_ADMIN)],
    state: StateDep,
    filename: ImportFilename = "import.json",
) -> ImportPreview:
    """The same bodies as ``/masterdata/import``; nothing is applied. Returns per entity the rows
    added, changed (fields old -> new; secrets only said to change) and deleted, and ``base_seq``, the
    log position compared against. 422 ``masterdata_invalid`` lists every problem (file, row, field).
    A center admin may only touch rows of their centers."""
    body = await read_import(request, state, filename)
    return await run_in_threadpool(_preview, state, principal, filename, body)


def _preview(state: ServerState, principal: Principal, filename: str, body: bytes) -> ImportPreview:
    with Session(state.engine) as session:
        with session.begin():
            centers = principal_centers(session, principal)
        try:
            return preview_import(session, [(filename, body)], centers=centers)
        except MasterDataInvalid as exc:
            raise ApiError(
                422,
                ErrorCode.masterdata_invalid,
                f"import invalid, nothing applied: {exc}",
                errors=exc.errors,
            ) from exc

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from shared.sync import (
    ErrorBody,
    ErrorCode,
    ImportResult,
    MachinePublic,
    MachineStatus,
    PacketPublic,
    PacketState,
    UserPublic,
)
from shared.sync.models import MACHINE_ID_PATTERN
from sync_server.api.deps import AdminDep, SessionDep, StateDep, UnitOfWorkDep
from sync_server.db.tables import CurrentRow
from sync_server.errors import ApiError
from sync_server.http_limits import json_too_deep
from sync_server.services import audit, machines, masterdata, packets
from sync_server.services.masterdata_rules import MasterDataInvalid

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
MachineIdPath = Annotated[str, Path(pattern=MACHINE_ID_PATTERN)]


@router.get("/machines", responses=_ERRORS)
def list_machines(
    _admin: AdminDep, session: SessionDep, status: Annotated[MachineStatus | None, Query()] = None
) -> list[MachinePublic]:
    return [
        machines.to_public(r)
        for r in machines.list_machines(session, status=status.value if status else None)
    ]


@router.post("/machines/{machine_id}/approve", responses=_ERRORS)
def approve(machine_id: MachineIdPath, admin: AdminDep, session: SessionDep) -> MachinePublic:
    return machines.to_public(
        machines.decide_machine(session, machine_id=machine_id, approve=True, actor=admin.subject)
    )


@router.post("/machines/{machine_id}/reject", responses=_ERRORS)
def reject(machine_id: MachineIdPath, admin: AdminDep, session: SessionDep) -> MachinePublic:
    """Reject a pending machine, or revoke an approved one."""
    return machines.to_public(
        machines.decide_machine(session, machine_id=machine_id, approve=False, actor=admin.subject)
    )


@router.get("/audit", responses=_ERRORS)
def list_audit(
    _admin: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIST)] = 100,
    before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[audit.AuditEntryPublic]:
    """The server audit log, newest first; ``before_seq`` pages back."""
    return audit.list_entries(session, limit=limit, before_seq=before_seq)


@router.get("/audit/verify", responses=_ERRORS)
def verify_audit(_admin: AdminDep, session: SessionDep) -> audit.AuditVerdict:
    """Walk the whole chain: ``ok`` with the entry count, or the first broken seq and why."""
    return audit.verify_chain(session)


@router.get("/users", responses=_ERRORS)
def list_users(_admin: AdminDep, session: SessionDep) -> list[UserPublic]:
    rows = session.scalars(
        select(CurrentRow).where(CurrentRow.entity == "users").order_by(CurrentRow.entity_id)
    )
    return [
        UserPublic(
            id=r.entity_id,
            name=str(r.data.get("name", "")),
            roles=list(r.data.get("roles", [])),
            center_id=r.center_id,
            active=r.data.get("active", True) is not False,
        )
        for r in rows
    ]


@router.post(
    "/masterdata/import",
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
async def import_masterdata(
    request: Request,
    admin: AdminDep,
    state: StateDep,
    filename: Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")] = "import.json",
) -> ImportResult:
    """Import one file: a JSON import document, or CSV for one entity (``filename=<entity>.csv``).
    All-or-nothing; errors name file, row and field."""
    body = await request.body()  # bounded while it streams (http_limits.BodyLimit, bulk path)
    if "csv" in request.headers.get("content-type", "") and not filename.endswith(".csv"):
        raise ApiError(422, ErrorCode.validation_error, "CSV imports need filename=<entity>.csv")
    if json_too_deep(body, state.settings.max_json_depth):
        detail = f"JSON documents may nest at most {state.settings.max_json_depth} levels"
        raise ApiError(422, ErrorCode.validation_error, detail)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_import, state, filename, body, admin.subject)


def _import(state, filename: str, body: bytes, actor: str) -> ImportResult:
    from sqlalchemy.orm import Session

    try:
        with Session(state.engine) as session, session.begin():
            return masterdata.import_documents(session, [(filename, body)], actor=actor)
    except MasterDataInvalid as exc:
        raise ApiError(
            422, ErrorCode.masterdata_invalid, f"import refused, nothing applied: {exc}", errors=exc.errors
        ) from exc


@router.get("/packets", responses=_ERRORS)
def list_packets(
    _admin: AdminDep,
    session: UnitOfWorkDep,
    status: Annotated[PacketState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PacketPublic]:
    """The newest packets, optionally in one state (``damaged``: quarantined at the kiosk)."""
    return packets.list_packets(session, status=status, limit=limit)

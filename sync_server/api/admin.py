from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

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
from sync_server.api.deps import SessionDep, StateDep, UnitOfWorkDep, user_with
from sync_server.api.import_body import IMPORT_OPENAPI, ImportFilename, read_import
from sync_server.errors import ApiError
from sync_server.services import (
    audit,
    console_machines,
    machines,
    masterdata,
    masterdata_preview,
    packets,
    user_directory,
)
from sync_server.services.auth import Principal, principal_centers
from sync_server.services.masterdata_rules import MasterDataInvalid
from sync_server.services.roles import ADMIN, AUDITOR, CENTER_ADMIN

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
MachineIdPath = Annotated[str, Path(pattern=MACHINE_ID_PATTERN)]


# Machines, users and master data: admins, and center admins acting on their centers only.
CenterManager = Annotated[Principal, user_with(ADMIN, CENTER_ADMIN)]


class MachineDecision(BaseModel):
    """Optional body of approve / reject: why (kept in the audit entry)."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=console_machines.MAX_REASON)


# The audit log is read by admins and auditors (the console's audit page).
AuditReader = Annotated[Principal, user_with(ADMIN, AUDITOR)]
# The unscoped packet list: admins and auditors; center admins search their centers (/packets/search).
PacketReader = Annotated[Principal, user_with(ADMIN, AUDITOR)]

ReasonQuery = Annotated[str | None, Query(max_length=console_machines.MAX_REASON)]


@router.get("/machines", responses=_ERRORS)
def list_machines(
    manager: CenterManager,
    session: SessionDep,
    status: Annotated[MachineStatus | None, Query()] = None,
) -> list[MachinePublic]:
    """Every machine (a center admin: their centers' machines), optionally in one status."""
    rows = machines.list_machines(
        session, status=status.value if status else None, centers=principal_centers(session, manager)
    )
    return [machines.to_public(r) for r in rows]


def _decide(session, manager: Principal, machine_id: str, approve: bool, body, reason) -> MachinePublic:
    return machines.to_public(
        console_machines.decide_any(
            session,
            machine_id=machine_id,
            approve=approve,
            actor=manager.subject,
            centers=principal_centers(session, manager),
            reason=(body.reason if body and body.reason else None) or reason,
        )
    )


@router.post("/machines/{machine_id}/approve", responses=_ERRORS)
def approve(
    machine_id: MachineIdPath,
    manager: CenterManager,
    session: SessionDep,
    body: MachineDecision | None = None,
    reason: ReasonQuery = None,
) -> MachinePublic:
    """Approve a machine; ``reason`` (body or query, optional) goes to the audit log."""
    return _decide(session, manager, machine_id, True, body, reason)


@router.post("/machines/{machine_id}/reject", responses=_ERRORS)
def reject(
    machine_id: MachineIdPath,
    manager: CenterManager,
    session: SessionDep,
    body: MachineDecision | None = None,
    reason: ReasonQuery = None,
) -> MachinePublic:
    """Reject a pending machine, or revoke an approved one; ``reason`` (optional) goes to the audit log."""
    return _decide(session, manager, machine_id, False, body, reason)


@router.get("/audit", responses=_ERRORS)
def list_audit(
    _reader: AuditReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIST)] = 100,
    before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[audit.AuditEntryPublic]:
    """The server audit log, newest first; ``before_seq`` pages back."""
    return audit.list_entries(session, limit=limit, before_seq=before_seq)


@router.get("/audit/verify", responses=_ERRORS)
def verify_audit(_reader: AuditReader, session: SessionDep) -> audit.AuditVerdict:
    """Walk the whole chain: ``ok`` with the entry count, or the first broken seq and why."""
    return audit.verify_chain(session)


@router.get("/users", responses=_ERRORS)
def list_users(principal: CenterManager, session: SessionDep) -> list[UserPublic]:
    """Every user (a center admin: those of their centers), by id."""
    return user_directory.public_users(session, centers=principal_centers(session, principal))


@router.post("/masterdata/import", responses=_ERRORS, openapi_extra=IMPORT_OPENAPI)
async def import_masterdata(
    request: Request, admin: CenterManager, state: StateDep, filename: ImportFilename = "import.json"
) -> ImportResult:
    """Import one file: a JSON import document, or CSV for one entity (``filename=<entity>.csv``).
    All-or-nothing; errors name file, row and field. A center admin imports rows of their centers only
    (the console's preview rules: anything else is a validation error)."""
    body = await read_import(request, state, filename)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_import, state, filename, body, admin)


def _import(state, filename: str, body: bytes, principal: Principal) -> ImportResult:
    from sqlalchemy.orm import Session

    documents, actor = [(filename, body)], principal.subject
    try:
        with Session(state.engine) as session:
            with session.begin():
                centers = principal_centers(session, principal)
            if centers is None:
                with session.begin():
                    return masterdata.import_documents(session, documents, actor=actor)
            # apply_import validates with the center admin's scope rules; no separate preview pass
            with session.begin():
                base = masterdata.latest_seq(session)
            return masterdata_preview.apply_import(
                session, documents, centers=centers, actor=actor, base_seq=base
            )
    except masterdata_preview.PreviewStale as exc:
        raise ApiError(
            409, ErrorCode.validation_error, f"master data changed during the import; retry: {exc}"
        ) from exc
    except MasterDataInvalid as exc:
        raise ApiError(
            422, ErrorCode.masterdata_invalid, f"import refused, nothing applied: {exc}", errors=exc.errors
        ) from exc


@router.get("/packets", responses=_ERRORS)
def list_packets(
    _reader: PacketReader,
    session: UnitOfWorkDep,
    status: Annotated[PacketState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PacketPublic]:
    """The newest packets, optionally in one state (``damaged``: quarantined at the kiosk)."""
    return packets.list_packets(session, status=status, limit=limit)

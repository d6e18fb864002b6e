"""Packet intake: register (the first kiosks' JSON announcement), status, damaged reports; the upload
itself (tus 1.0.0 creation, HEAD/PATCH/DELETE of ``/{rid}/content``) is sync_server.api.tus, included
here under the same prefix."""

from typing import Annotated

from fastapi import APIRouter, Path

from shared.sync import (
    ErrorBody,
    PacketDamagedReport,
    PacketRegisterRequest,
    PacketRegisterResponse,
    PacketState,
    PacketStatus,
    StatusRequest,
    StatusResponse,
)
from shared.sync.models import RID_PATTERN
from sync_server.api import tus
from sync_server.api.deps import MachineDep, StateDep, UnitOfWorkDep
from sync_server.services import packets

router = APIRouter(prefix="/api/v1/packets", tags=["packets"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422)}
RidPath = Annotated[str, Path(pattern=RID_PATTERN)]


@router.post("", responses=_ERRORS)
def register(
    request: PacketRegisterRequest, machine: MachineDep, state: StateDep, session: UnitOfWorkDep
) -> PacketRegisterResponse:
    """Announce a packet (RID, SHA-256, size); idempotent. ``offset`` says where to resume."""
    row, offset = packets.register_packet(session, request=request, machine=machine, blobs=state.blobs)
    return PacketRegisterResponse(
        rid=row.rid,
        status=PacketState(row.status),
        offset=offset,
        size=row.size,
        max_chunk_bytes=state.settings.max_chunk_bytes,
    )


@router.post("/status", responses=_ERRORS)
def status(
    request: StatusRequest, machine: MachineDep, state: StateDep, session: UnitOfWorkDep
) -> StatusResponse:
    """Per-RID state for this machine's packets; RIDs it does not own read as ``unknown``."""
    return StatusResponse(
        statuses=packets.statuses(session, rids=request.rids, machine=machine, blobs=state.blobs)
    )


@router.post("/{rid}/damaged", responses=_ERRORS)
def damaged(
    rid: RidPath, report: PacketDamagedReport, machine: MachineDep, state: StateDep, session: UnitOfWorkDep
) -> PacketStatus:
    """The kiosk quarantined this packet (its sealed file no longer matches what was sealed): no content
    will follow. Idempotent; a packet the server already holds whole keeps its state (see the answer)."""
    return packets.report_damaged(session, rid=rid, report=report, machine=machine, blobs=state.blobs)


router.include_router(tus.router)

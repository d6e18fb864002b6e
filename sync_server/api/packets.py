from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from shared.sync import (
    UPLOAD_LENGTH_HEADER,
    UPLOAD_OFFSET_HEADER,
    ErrorBody,
    ErrorCode,
    PacketDamagedReport,
    PacketRegisterRequest,
    PacketRegisterResponse,
    PacketState,
    PacketStatus,
    StatusRequest,
    StatusResponse,
)
from shared.sync.models import RID_PATTERN
from sync_server.api.deps import MachineDep, StateDep, UnitOfWorkDep
from sync_server.errors import ApiError
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


@router.head("/{rid}/content", responses=_ERRORS, status_code=200)
def content_offset(rid: RidPath, machine: MachineDep, state: StateDep, session: UnitOfWorkDep) -> Response:
    offset, size = packets.upload_offset(session, rid=rid, machine=machine, blobs=state.blobs)
    return Response(
        status_code=200,
        headers={
            UPLOAD_OFFSET_HEADER: str(offset),
            UPLOAD_LENGTH_HEADER: str(size),
            "Cache-Control": "no-store",
        },
    )


@router.patch("/{rid}/content", responses=_ERRORS, status_code=204)
async def upload(
    rid: RidPath,
    request: Request,
    machine: MachineDep,
    state: StateDep,
    session: UnitOfWorkDep,
    upload_offset: Annotated[int, Header(alias=UPLOAD_OFFSET_HEADER, ge=0, le=2**40)],
) -> Response:
    """Append the body at ``Upload-Offset``; 409 with the current offset when it does not match."""
    limit = state.settings.max_chunk_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, ErrorCode.chunk_too_large, f"chunks are limited to {limit} bytes")
    chunks, total = [], 0
    async for part in request.stream():
        total += len(part)
        if total > limit:
            raise ApiError(413, ErrorCode.chunk_too_large, f"chunks are limited to {limit} bytes")
        chunks.append(part)
    offset, _status = await run_in_threadpool(
        packets.upload_chunk,
        session,
        rid=rid,
        offset=upload_offset,
        data=b"".join(chunks),
        machine=machine,
        blobs=state.blobs,
    )
    return Response(status_code=204, headers={UPLOAD_OFFSET_HEADER: str(offset)})


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

"""Packet uploads over tus 1.0.0 (docs/sync-protocol.md, "Resumable upload: tus 1.0.0").

``OPTIONS``/``POST /api/v1/packets/uploads`` discover and create; the upload resource (``Location``) is
``/api/v1/packets/{rid}/content``, the URL the kiosks before tus already use: its ``HEAD`` and ``PATCH``
serve both (a request without ``Tus-Resumable`` is such a kiosk's), ``DELETE`` terminates. Every answer
carries ``Tus-Resumable`` (TusRoute). Machine token, RID ownership, registered size and SHA-256 are the
packets service's rules, unchanged; included by sync_server.api.packets under its prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shared.sync import (
    API_PREFIX,
    UPLOAD_LENGTH_HEADER,
    UPLOAD_OFFSET_HEADER,
    ErrorBody,
    PacketRegisterResponse,
)
from shared.sync.models import (
    MAX_UPLOAD_METADATA_BYTES,
    RID_PATTERN,
    UPLOAD_EXPIRES_HEADER,
    UPLOAD_METADATA_HEADER,
)
from sync_server.api.deps import MachineDep, StateDep, UnitOfWorkDep
from sync_server.api.tus_protocol import (
    OffsetContent,
    TusRoute,
    TusVersion,
    TusVersionOrLegacy,
    UploadChecksum,
    check_offset_content,
    discovery_headers,
    encode_metadata,
    http_date,
    parse_length,
    parse_metadata,
    read_body,
    register_request,
    verify_checksum,
)
from sync_server.services import tus
from sync_server.services.tus import UploadInfo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(tags=["packets (tus 1.0.0)"], route_class=TusRoute)
_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 412, 413, 415, 422, 460)}
RidPath = Annotated[str, Path(pattern=RID_PATTERN)]


def content_url(rid: str) -> str:
    """The upload resource of ``rid`` (a relative ``Location``, as tus allows)."""
    return f"{API_PREFIX}/packets/{rid}/content"


def _state_headers(info: UploadInfo) -> dict[str, str]:
    headers = {UPLOAD_OFFSET_HEADER: str(info.offset), "Cache-Control": "no-store"}
    if info.expires_at is not None:
        headers[UPLOAD_EXPIRES_HEADER] = http_date(info.expires_at)
    return headers


@router.options("/uploads", status_code=204, responses={204: {"description": "tus discovery headers"}})
def discover() -> Response:
    """tus discovery: ``Tus-Version``, ``Tus-Extension``, ``Tus-Max-Size``, ``Tus-Checksum-Algorithm``."""
    return Response(status_code=204, headers=discovery_headers())


@router.post(
    "/uploads",
    status_code=201,
    response_model=PacketRegisterResponse,
    responses={200: {"model": PacketRegisterResponse, "description": "the upload existed"}, **_ERRORS},
    dependencies=[TusVersion],
)
async def create(
    request: Request,
    machine: MachineDep,
    state: StateDep,
    session: UnitOfWorkDep,
    upload_length: Annotated[
        str | None, Header(alias=UPLOAD_LENGTH_HEADER, description="the sealed packet's size in bytes")
    ] = None,
    upload_metadata: Annotated[
        str | None,
        Header(
            alias=UPLOAD_METADATA_HEADER,
            description="base64 values: rid and sha256 (lowercase hex of the whole file) required; "
            f"operator_id, supervisor_id, created_at optional; at most {MAX_UPLOAD_METADATA_BYTES} bytes",
        ),
    ] = None,
    upload_defer_length: Annotated[
        str | None, Header(alias="Upload-Defer-Length", description="not supported")
    ] = None,
    upload_checksum: UploadChecksum = None,
) -> Response:
    """tus creation (and creation-with-upload: bytes in the body at offset 0). Idempotent: the same RID,
    SHA-256 and size answer 200 with the same ``Location`` and the offset to resume from; another hash
    or size is 409 ``packet_conflict``. The body is ``PacketRegisterResponse``."""
    size = parse_length(upload_length, upload_defer_length)
    announced = register_request(parse_metadata(upload_metadata), size)
    data = await read_body(request, state.settings.max_chunk_bytes)
    if data:
        check_offset_content(request)
    info = await run_in_threadpool(
        _checked_create,
        session,
        checksum=upload_checksum if data else None,
        request=announced,
        machine=machine,
        blobs=state.blobs,
        first_chunk=data,
    )
    body = PacketRegisterResponse(
        rid=info.rid,
        status=info.status,
        offset=info.offset,
        size=info.size,
        max_chunk_bytes=state.settings.max_chunk_bytes,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=201 if info.created else 200,
        headers={"Location": content_url(info.rid), **_state_headers(info)},
    )


# The chunk's checksum is computed on the worker thread with the write, not on the event loop, which
# every other request waits for while a megabyte or more is hashed.
def _checked_create(session: Session, *, checksum: str | None, first_chunk: bytes, **rest: Any) -> UploadInfo:
    chunk_sha256 = verify_checksum(checksum, first_chunk)
    return tus.create_upload(session, first_chunk=first_chunk, chunk_sha256=chunk_sha256, **rest)


def _checked_append(session: Session, *, checksum: str | None, data: bytes, **rest: Any) -> UploadInfo:
    chunk_sha256 = verify_checksum(checksum, data)
    return tus.append_chunk(session, data=data, chunk_sha256=chunk_sha256, **rest)


@router.head("/{rid}/content", responses=_ERRORS, status_code=200, dependencies=[TusVersionOrLegacy])
def content_offset(rid: RidPath, machine: MachineDep, state: StateDep, session: UnitOfWorkDep) -> Response:
    """Where the upload stands: ``Upload-Offset``, ``Upload-Length``, ``Upload-Metadata`` and, while
    unfinished, ``Upload-Expires``."""
    info = tus.describe_upload(session, rid=rid, machine=machine, blobs=state.blobs)
    headers = {
        **_state_headers(info),
        UPLOAD_LENGTH_HEADER: str(info.size),
        UPLOAD_METADATA_HEADER: encode_metadata(info.metadata),
    }
    return Response(status_code=200, headers=headers)


@router.patch(
    "/{rid}/content", responses=_ERRORS, status_code=204, dependencies=[TusVersionOrLegacy, OffsetContent]
)
async def upload(
    rid: RidPath,
    request: Request,
    machine: MachineDep,
    state: StateDep,
    session: UnitOfWorkDep,
    upload_offset: Annotated[int, Header(alias=UPLOAD_OFFSET_HEADER, ge=0, le=2**40)],
    upload_checksum: UploadChecksum = None,
) -> Response:
    """Append the body at ``Upload-Offset``; 409 with the current offset when it does not match, 460
    when it fails its ``Upload-Checksum``. The last byte triggers the whole-file SHA-256 check."""
    data = await read_body(request, state.settings.max_chunk_bytes)
    info = await run_in_threadpool(
        _checked_append,
        session,
        checksum=upload_checksum,
        rid=rid,
        offset=upload_offset,
        data=data,
        machine=machine,
        blobs=state.blobs,
    )
    headers = _state_headers(info)
    del headers["Cache-Control"]
    return Response(status_code=204, headers=headers)


@router.delete("/{rid}/content", responses=_ERRORS, status_code=204, dependencies=[TusVersion])
def terminate(rid: RidPath, machine: MachineDep, state: StateDep, session: UnitOfWorkDep) -> Response:
    """tus termination of an unfinished upload (its bytes and registration go); a packet already
    received is 409 ``upload_complete``."""
    tus.terminate_upload(session, rid=rid, machine=machine, blobs=state.blobs)
    return Response(status_code=204)

"""Packet uploads as tus 1.0.0 resources (creation, creation-with-upload, termination, expiration).

The resource of a packet is its RID: creating it is the packets service's idempotent registration (same
RID + SHA-256 + size: the same resource, wherever its upload stands; another hash: 409), bytes go through
the same ``upload_chunk`` (offset rule, size bound, whole-file SHA-256 at the end). What tus adds is here:
a creation that may carry the first bytes, the state a HEAD reports (with ``Upload-Expires``), expiry on
access (tus_expiry) and termination. HTTP itself (headers, checksums of chunks) is sync_server.api.tus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from shared.sync import ErrorCode, PacketRegisterRequest, PacketState
from sync_server.db.tables import PacketRow
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobStore
from sync_server.services.errors import Conflict, NotFound
from sync_server.services.tus_expiry import drop_if_expired, expires_at

_TAKING = {PacketState.registered, PacketState.receiving}
_HELD = {PacketState.received, PacketState.processing, PacketState.processed}
_CLOSED = {PacketState.rejected: ErrorCode.packet_conflict, PacketState.damaged: ErrorCode.packet_damaged}


@dataclass(frozen=True)
class UploadInfo:
    """What the server says about one upload resource (creation answer, HEAD, PATCH)."""

    rid: str
    status: PacketState
    offset: int
    size: int
    metadata: dict[str, str] = field(default_factory=dict)  # the Upload-Metadata pairs it keeps
    expires_at: dt.datetime | None = None  # unfinished uploads only
    created: bool = False  # this request made the resource (else it existed: idempotent creation)


def create_upload(
    session: Session,
    *,
    request: PacketRegisterRequest,
    machine: Principal,
    blobs: BlobStore,
    first_chunk: bytes = b"",
    chunk_sha256: str | None = None,
) -> UploadInfo:
    """Create (or find again) the upload of ``request.rid``; ``first_chunk`` (creation-with-upload) is
    written only where the upload stands at offset 0, else the answer's offset says where to go on.
    ``chunk_sha256``: the chunk's hex SHA-256 when the caller has it (as for :func:`append_chunk`)."""
    packets.check_rid_owner(request.rid, machine)
    drop_if_expired(session, rid=request.rid, blobs=blobs, machine_id=machine.subject)
    with session.begin():
        existed = session.get(PacketRow, request.rid) is not None
    row, offset = packets.register_packet(session, request=request, machine=machine, blobs=blobs)
    status = PacketState(row.status)
    if status in _CLOSED:
        raise Conflict(_CLOSED[status], f"packet {row.rid} is {status.value}; no content is accepted")
    if first_chunk and offset == 0 and status in _TAKING:
        try:
            offset, status = packets.upload_chunk(
                session,
                rid=row.rid,
                offset=0,
                data=first_chunk,
                machine=machine,
                blobs=blobs,
                data_sha256=chunk_sha256,
            )
        except Conflict as exc:
            if exc.code != ErrorCode.offset_mismatch:
                raise
            offset = exc.current_offset or 0  # another writer came first: say where the upload stands
    return _info(session, row.rid, offset, blobs, created=not existed)


def describe_upload(session: Session, *, rid: str, machine: Principal, blobs: BlobStore) -> UploadInfo:
    """The state a HEAD reports; an expired upload is dropped here and is 404 ``upload_expired``."""
    _check_live(session, rid, machine, blobs)
    offset, _size = packets.upload_offset(session, rid=rid, machine=machine, blobs=blobs)
    return _info(session, rid, offset, blobs)


def append_chunk(
    session: Session,
    *,
    rid: str,
    offset: int,
    data: bytes,
    machine: Principal,
    blobs: BlobStore,
    chunk_sha256: str | None = None,
) -> UploadInfo:
    """PATCH: ``data`` at ``offset`` under the packets service's rules; the state afterwards.
    ``chunk_sha256``: the hex SHA-256 of ``data`` when the caller has it (its checked Upload-Checksum),
    so that a packet sent whole is not hashed twice."""
    _check_live(session, rid, machine, blobs)
    new_offset, _status = packets.upload_chunk(
        session, rid=rid, offset=offset, data=data, machine=machine, blobs=blobs, data_sha256=chunk_sha256
    )
    return _info(session, rid, new_offset, blobs)


def terminate_upload(session: Session, *, rid: str, machine: Principal, blobs: BlobStore) -> None:
    """DELETE: drop an unfinished upload (bytes and registration; the RID may be created again). A packet
    the server holds whole (or whose bytes all arrived) is the server's now: 409 ``upload_complete``."""
    packets.check_rid_owner(rid, machine)
    packets.finish_if_complete(session, rid=rid, blobs=blobs)
    with blobs.locked(rid), session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        if row is None or row.machine_id != machine.subject:
            raise NotFound(ErrorCode.packet_unknown, f"packet {rid} is not registered")
        status = PacketState(row.status)
        if status in _HELD:
            raise Conflict(
                ErrorCode.upload_complete, f"packet {rid} is {status.value}; a finished upload stays"
            )
        if status in _CLOSED:
            raise Conflict(_CLOSED[status], f"packet {rid} is {status.value}; it stays as it is")
        blobs.discard(rid)  # bytes first: a crash before the commit leaves a registration at offset 0
        session.delete(row)


def _check_live(session: Session, rid: str, machine: Principal, blobs: BlobStore) -> None:
    packets.check_rid_owner(rid, machine)
    if drop_if_expired(session, rid=rid, blobs=blobs, machine_id=machine.subject):
        raise NotFound(
            ErrorCode.upload_expired,
            f"the unfinished upload of {rid} expired and was dropped; create it again and start at 0",
        )


def _info(session: Session, rid: str, offset: int, blobs: BlobStore, *, created: bool = False) -> UploadInfo:
    with session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        if row is None:  # terminated or expired by a concurrent request
            raise NotFound(ErrorCode.packet_unknown, f"packet {rid} is not registered")
        status = PacketState(row.status)
        pairs = {
            "rid": row.rid,
            "sha256": row.sha256,
            "operator_id": row.operator_id,
            "supervisor_id": row.supervisor_id,
            "created_at": row.client_created_at,
        }
        taking = status in _TAKING
        return UploadInfo(
            rid=rid,
            status=status,
            offset=row.size if status in _HELD else offset,
            size=row.size,
            metadata={k: v for k, v in pairs.items() if v is not None},
            expires_at=expires_at(rid=rid, registered_at=row.registered_at, blobs=blobs) if taking else None,
            created=created,
        )

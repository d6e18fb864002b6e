"""Packet intake rules: register (idempotent, RID must be the caller's), resumable upload, status."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.rid import RidError, parse_rid
from shared.sync import ErrorCode, PacketRegisterRequest, PacketState, PacketStatus
from sync_server.db.tables import PacketRow
from sync_server.errors import ApiError
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobStore
from sync_server.services.clock import utcnow

_DONE = {PacketState.received, PacketState.processing, PacketState.processed}


def check_rid_owner(rid: str, machine: Principal) -> None:
    try:
        parsed = parse_rid(rid)
    except RidError as exc:
        raise ApiError(422, ErrorCode.validation_error, f"rid: {exc}") from exc
    if f"{parsed.machine_id:05d}" != machine.subject or f"{parsed.center_id:05d}" != machine.center_id:
        raise ApiError(
            403,
            ErrorCode.rid_not_yours,
            f"RID {rid} belongs to machine {parsed.machine_id:05d} at center {parsed.center_id:05d}, "
            f"not to this machine ({machine.subject} at {machine.center_id})",
        )


def _owned_packet(session: Session, rid: str, machine: Principal) -> PacketRow:
    check_rid_owner(rid, machine)
    row = session.get(PacketRow, rid)
    if row is None or row.machine_id != machine.subject:
        raise ApiError(404, ErrorCode.packet_unknown, f"packet {rid} is not registered")
    return row


def register_packet(
    engine: Engine, *, request: PacketRegisterRequest, machine: Principal, blobs: BlobStore
) -> tuple[PacketRow, int]:
    """Idempotent for the same (rid, sha256, size); the same RID with other bytes is 409."""
    check_rid_owner(request.rid, machine)
    for _attempt in range(2):  # a concurrent first register of the same RID: the loser re-reads
        with Session(engine) as session, session.begin():
            row = session.get(PacketRow, request.rid)
            if row is not None:
                if row.sha256 != request.sha256 or row.size != request.size:
                    raise ApiError(
                        409,
                        ErrorCode.packet_conflict,
                        f"packet {request.rid} is registered with another hash/size",
                    )
                offset = row.size if PacketState(row.status) in _DONE else blobs.offset(request.rid)
                session.expunge(row)
                return row, offset
            status = PacketState.rejected if request.supervisor_rejected else PacketState.registered
            row = PacketRow(
                rid=request.rid,
                machine_id=machine.subject,
                center_id=machine.center_id or "",
                sha256=request.sha256,
                size=request.size,
                status=status.value,
                operator_id=request.operator_id,
                supervisor_id=request.supervisor_id,
                client_created_at=request.created_at,
                reason_code="supervisor_rejected" if request.supervisor_rejected else None,
                reason=("rejected by the supervisor at the kiosk: " + (request.reason or "")).strip()
                if request.supervisor_rejected
                else None,
                registered_at=utcnow(),
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                continue
            session.expunge(row)
            return row, 0
    raise ApiError(409, ErrorCode.packet_conflict, f"packet {request.rid} is being registered concurrently")


def upload_offset(engine: Engine, *, rid: str, machine: Principal, blobs: BlobStore) -> tuple[int, int]:
    with Session(engine) as session:
        row = _owned_packet(session, rid, machine)
        done = PacketState(row.status) in _DONE
        return (row.size if done else blobs.offset(rid)), row.size


def upload_chunk(
    engine: Engine, *, rid: str, offset: int, data: bytes, machine: Principal, blobs: BlobStore
) -> tuple[int, PacketState]:
    """Append ``data`` at ``offset``; on the last byte check size + SHA-256 and publish the blob."""
    with Session(engine) as session:
        row = _owned_packet(session, rid, machine)
        size, sha256, status = row.size, row.sha256, PacketState(row.status)
    if status == PacketState.rejected:
        raise ApiError(409, ErrorCode.packet_conflict, f"packet {rid} was rejected; no content is accepted")
    with blobs.locked(rid):
        if status not in _DONE:
            with Session(engine) as session:  # re-read under the lock: another writer may have finished
                status = PacketState(session.get(PacketRow, rid).status)
        if status in _DONE:
            return size, status  # already complete (a retried last chunk): success, nothing written
        current = blobs.offset(rid)
        if offset != current:
            raise ApiError(
                409,
                ErrorCode.offset_mismatch,
                f"wrong Upload-Offset {offset}; the server has offset {current}",
                current_offset=current,
                headers={"Upload-Offset": str(current)},
            )
        if offset + len(data) > size:
            raise ApiError(
                413,
                ErrorCode.size_exceeded,
                f"{offset + len(data)} bytes exceed the registered size {size}",
                current_offset=current,
                headers={"Upload-Offset": str(current)},
            )
        new_offset = blobs.append(rid, data) if data else current
        if new_offset < size:
            if status == PacketState.registered:
                _set_status(engine, rid, PacketState.receiving)
            return new_offset, PacketState.receiving
        actual = blobs.digest(rid)
        if actual != sha256:
            blobs.discard(rid)
            _set_status(engine, rid, PacketState.registered)
            raise ApiError(
                409,
                ErrorCode.hash_mismatch,
                f"the uploaded bytes hash to {actual}, not the registered {sha256}; upload again from offset 0",
                current_offset=0,
                headers={"Upload-Offset": "0"},
            )
        blobs.publish(rid)
        _set_status(engine, rid, PacketState.received, received=True)
        return size, PacketState.received


def _set_status(engine: Engine, rid: str, status: PacketState, *, received: bool = False) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(PacketRow, rid)
        row.status = status.value
        if received:
            row.received_at = utcnow()


def statuses(engine: Engine, *, rids: list[str], machine: Principal, blobs: BlobStore) -> list[PacketStatus]:
    with Session(engine) as session:
        found = {
            r.rid: r
            for r in session.scalars(
                select(PacketRow).where(PacketRow.rid.in_(rids), PacketRow.machine_id == machine.subject)
            )
        }
    answer = []
    for rid in rids:
        row = found.get(rid)
        if row is None:
            answer.append(PacketStatus(rid=rid, status=PacketState.unknown))
            continue
        state = PacketState(row.status)
        offset = row.size if state in _DONE else blobs.offset(rid)
        answer.append(
            PacketStatus(
                rid=rid,
                status=state,
                uin=row.uin,
                reason_code=row.reason_code,
                reason=row.reason,
                offset=offset,
            )
        )
    return answer

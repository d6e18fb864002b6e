"""Packet intake rules: register (idempotent, RID must be the caller's), resumable upload, status.

An unfinished upload expires (services.tus_expiry; tus ``expiration``); the tus view of these rules
(creation, HEAD state, termination) is services.tus.

A packet whose bytes are all on disk is finished (hash check, publish, ``received``) whoever notices
first: the last PATCH, start-up recovery, or a register/HEAD/status that finds it complete after a crash.

Each call takes the caller's session (one per request: the unit of work) and runs its own short
transactions in it: a status write commits right after the disk change it records (publish, then
``received``; a dropped partial, then ``registered``), and no transaction stays open while bytes are
written or hashed. Writers of one RID are serialised by the blob store's per-RID lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.rid import RidError, parse_rid
from shared.sync import (
    MAX_CAPTURE_CLOCK_SKEW,
    ErrorCode,
    PacketDamagedReport,
    PacketPublic,
    PacketRegisterRequest,
    PacketState,
    PacketStatus,
)
from sync_server.db.tables import PacketRow
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobStore
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import BadInput, Conflict, Forbidden, NotFound, TooLarge
from sync_server.services.tus_expiry import drop_if_expired

_DONE = {PacketState.received, PacketState.processing, PacketState.processed}
_OPEN = {PacketState.registered, PacketState.receiving}  # still taking bytes
_CLOSED = {PacketState.rejected: ErrorCode.packet_conflict, PacketState.damaged: ErrorCode.packet_damaged}


def check_rid_owner(rid: str, machine: Principal) -> None:
    try:
        parsed = parse_rid(rid)
    except RidError as exc:
        raise BadInput(ErrorCode.validation_error, f"rid: {exc}") from exc
    if f"{parsed.machine_id:05d}" != machine.subject or f"{parsed.center_id:05d}" != machine.center_id:
        raise Forbidden(
            ErrorCode.rid_not_yours,
            f"RID {rid} belongs to machine {parsed.machine_id:05d} at center {parsed.center_id:05d}, "
            f"not to this machine ({machine.subject} at {machine.center_id})",
        )


def check_capture_time(request: PacketRegisterRequest) -> None:
    """Refuse a capture time (the RID's, or ``created_at``) beyond the clock-skew allowance."""
    latest = utcnow() + MAX_CAPTURE_CLOCK_SKEW
    times = [parse_rid(request.rid).created_at]
    if request.created_at:
        try:
            stamp = dt.datetime.fromisoformat(request.created_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadInput(ErrorCode.validation_error, f"created_at: {exc}") from exc
        times.append(stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC))
    for when in times:
        if when > latest:
            raise BadInput(
                ErrorCode.capture_in_future,
                f"capture time {when.isoformat()} is more than {MAX_CAPTURE_CLOCK_SKEW} ahead of the "
                "server clock; check the kiosk's date and time",
            )


def _owned_packet(session: Session, rid: str, machine: Principal) -> PacketRow:
    check_rid_owner(rid, machine)
    row = session.get(PacketRow, rid)
    if row is None or row.machine_id != machine.subject:
        raise NotFound(ErrorCode.packet_unknown, f"packet {rid} is not registered")
    return row


def new_row(request: PacketRegisterRequest, machine: Principal) -> PacketRow:
    """The row a first registration of ``request`` adds (``check_registration`` passed)."""
    status = PacketState.rejected if request.supervisor_rejected else PacketState.registered
    return PacketRow(
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


def check_registration(request: PacketRegisterRequest, machine: Principal) -> None:
    """What any registration of ``request`` must pass: the caller's RID, the size limit, the capture time."""
    check_rid_owner(request.rid, machine)
    if request.size > MAX_SEALED_PACKET_BYTES:
        raise TooLarge(
            ErrorCode.packet_too_large,
            f"a sealed packet is at most {MAX_SEALED_PACKET_BYTES} bytes; {request.size} were announced",
        )
    check_capture_time(request)


def register_packet(
    session: Session, *, request: PacketRegisterRequest, machine: Principal, blobs: BlobStore
) -> tuple[PacketRow, int]:
    """Idempotent for the same (rid, sha256, size); the same RID with other bytes is 409."""
    check_registration(request, machine)
    # an unfinished upload past its Upload-Expires is dropped: this registration starts it afresh
    drop_if_expired(session, rid=request.rid, blobs=blobs, machine_id=machine.subject)
    for _attempt in range(2):  # a concurrent first register of the same RID: the loser re-reads
        try:
            with session.begin():
                row = session.get(PacketRow, request.rid, populate_existing=True)
                if row is None:
                    row = new_row(request, machine)
                    session.add(row)
                    session.flush()
                    session.expunge(row)
                    return row, 0
                if row.sha256 != request.sha256 or row.size != request.size:
                    raise Conflict(
                        ErrorCode.packet_conflict,
                        f"packet {request.rid} is registered with another hash/size",
                    )
                session.expunge(row)
        except IntegrityError:
            continue
        return _resume_point(session, row, blobs)  # outside the transaction: finishing may write
    raise Conflict(ErrorCode.packet_conflict, f"packet {request.rid} is being registered concurrently")


def _resume_point(session: Session, row: PacketRow, blobs: BlobStore) -> tuple[PacketRow, int]:
    """(row, offset) of a known packet, finishing it first if all its bytes are already on disk."""
    status = PacketState(row.status)
    if status in _OPEN and _complete_on_disk(row.rid, row.size, blobs):
        status = finish_if_complete(session, rid=row.rid, blobs=blobs) or status
        row.status = status.value
    return row, row.size if status in _DONE else blobs.offset(row.rid)


def _complete_on_disk(rid: str, size: int, blobs: BlobStore) -> bool:
    """Two stats, no lock: whether there may be a finished upload to record (a hint, rechecked locked)."""
    return blobs.has_final(rid) or blobs.offset(rid) == size


def upload_offset(session: Session, *, rid: str, machine: Principal, blobs: BlobStore) -> tuple[int, int]:
    """(offset to resume from, registered size) of the caller's packet."""
    with session.begin():
        row = _owned_packet(session, rid, machine)
        session.expunge(row)
    row, offset = _resume_point(session, row, blobs)
    return offset, row.size


def finish_if_complete(session: Session, *, rid: str, blobs: BlobStore) -> PacketState | None:
    """Finish an upload whose bytes all reached the disk before a crash: a full ``.part`` (killed before
    the hash check) or a published ``.age`` (killed before the DB said ``received``). Returns the state
    afterwards, or None for an unknown RID. Takes the RID lock: callers check ``_complete_on_disk`` first."""
    with blobs.locked(rid):
        with session.begin():
            row = session.get(PacketRow, rid, populate_existing=True)
            if row is None:
                return None
            status, size, sha256 = PacketState(row.status), row.size, row.sha256
        if status not in _OPEN:
            return status
        return _complete_locked(session, rid=rid, size=size, sha256=sha256, blobs=blobs) or status


def _complete_locked(
    session: Session, *, rid: str, size: int, sha256: str, blobs: BlobStore, written_sha256: str | None = None
) -> PacketState | None:
    """Under the RID lock: publish and mark ``received`` if the bytes on disk are the registered ones;
    a full partial with other bytes is dropped (``registered``, upload again). None: not complete.
    ``written_sha256``: the partial's hash when the caller knows it (it wrote all of it just now)."""
    if blobs.has_final(rid):
        if blobs.digest(rid, final=True) == sha256:
            blobs.discard(rid)  # a stale partial from a re-upload must not shadow the published file
            _set_status(session, rid, PacketState.received, received=True)
            return PacketState.received
        blobs.discard(
            rid, final=True
        )  # a published file failing its hash (disk damage): take the bytes again
    if blobs.offset(rid) != size:
        return None
    if (written_sha256 or blobs.digest(rid)) != sha256:
        blobs.discard(rid)
        _set_status(session, rid, PacketState.registered)
        return PacketState.registered
    blobs.publish(rid)
    _set_status(session, rid, PacketState.received, received=True)
    return PacketState.received


def recover_complete_uploads(session: Session, *, blobs: BlobStore) -> list[str]:
    """At start-up: finish every upload a crash left complete on disk; returns the RIDs now received."""
    with session.begin():
        open_rows = session.execute(
            select(PacketRow.rid, PacketRow.size).where(PacketRow.status.in_([s.value for s in _OPEN]))
        ).all()
    finished = []
    for rid, size in open_rows:
        if (
            _complete_on_disk(rid, size, blobs)
            and finish_if_complete(session, rid=rid, blobs=blobs) == PacketState.received
        ):
            finished.append(rid)
    return finished


def upload_chunk(
    session: Session,
    *,
    rid: str,
    offset: int,
    data: bytes,
    machine: Principal,
    blobs: BlobStore,
    data_sha256: str | None = None,
) -> tuple[int, PacketState]:
    """Append ``data`` at ``offset``; on the last byte check size + SHA-256 and publish the blob.
    ``data_sha256``: the hex SHA-256 of ``data`` when the caller has it (a checked Upload-Checksum)."""
    with session.begin():
        row = _owned_packet(session, rid, machine)
        size, sha256, status = row.size, row.sha256, PacketState(row.status)
    if status in _CLOSED:
        raise Conflict(_CLOSED[status], f"packet {rid} is {status.value}; no content is accepted")
    with blobs.locked(rid):
        if status not in _DONE:
            with session.begin():  # re-read under the lock: another writer may have finished
                status = PacketState(session.get(PacketRow, rid, populate_existing=True).status)
        if status in _OPEN and _complete_on_disk(rid, size, blobs):
            status = _complete_locked(session, rid=rid, size=size, sha256=sha256, blobs=blobs) or status
        if status in _DONE:
            return size, status  # already complete (a retried last chunk): success, nothing written
        if status in _CLOSED:
            raise Conflict(_CLOSED[status], f"packet {rid} is {status.value}; no content is accepted")
        current = blobs.offset(rid)
        if offset != current:
            raise Conflict(
                ErrorCode.offset_mismatch,
                f"wrong Upload-Offset {offset}; the server has offset {current}",
                current_offset=current,
            )
        if offset + len(data) > size:
            raise TooLarge(
                ErrorCode.size_exceeded,
                f"{offset + len(data)} bytes exceed the registered size {size}",
                current_offset=current,
            )
        new_offset = blobs.append(rid, data) if data else current
        if new_offset < size:
            if status == PacketState.registered:
                _set_status(session, rid, PacketState.receiving)
            return new_offset, PacketState.receiving
        blobs.crash_point("upload_complete")
        # The whole packet in one chunk (as kiosks send one that fits): the file is ``data``, so its
        # hash is known without reading it back (from the page cache here, from the bucket on S3).
        whole = (data_sha256 or hashlib.sha256(data).hexdigest()) if offset == 0 else None
        done = _complete_locked(session, rid=rid, size=size, sha256=sha256, blobs=blobs, written_sha256=whole)
        if done != PacketState.received:
            raise Conflict(
                ErrorCode.hash_mismatch,
                f"the uploaded bytes do not hash to the registered {sha256}; upload again from offset 0",
                current_offset=0,
            )
        return size, PacketState.received


def report_damaged(
    session: Session, *, rid: str, report: PacketDamagedReport, machine: Principal, blobs: BlobStore
) -> PacketStatus:
    """The kiosk's sealed file is damaged: record ``damaged`` (registering the RID if needed) and drop any
    partial upload. A packet the server already holds whole is kept as it is; the answer says so."""
    check_rid_owner(rid, machine)
    if report.size > MAX_SEALED_PACKET_BYTES:
        raise TooLarge(
            ErrorCode.packet_too_large, f"a sealed packet is at most {MAX_SEALED_PACKET_BYTES} bytes"
        )
    finish_if_complete(session, rid=rid, blobs=blobs)
    code = f"kiosk_{report.problem}"
    why = f"the kiosk's sealed file is damaged ({report.problem}); it was quarantined there. {report.detail}"
    with blobs.locked(rid), session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        if row is None:
            row = PacketRow(
                rid=rid,
                machine_id=machine.subject,
                center_id=machine.center_id or "",
                sha256=report.sha256,
                size=report.size,
                status=PacketState.damaged.value,
                registered_at=utcnow(),
            )
            session.add(row)
        elif row.machine_id != machine.subject:
            raise NotFound(ErrorCode.packet_unknown, f"packet {rid} is not registered")
        elif row.sha256 != report.sha256 or row.size != report.size:
            raise Conflict(ErrorCode.packet_conflict, f"packet {rid} is registered with another hash/size")
        if PacketState(row.status) in _OPEN | {PacketState.damaged}:
            row.status, row.reason_code, row.reason = PacketState.damaged.value, code, why.strip()
            blobs.discard(rid)
        answer = PacketStatus(
            rid=rid,
            status=PacketState(row.status),
            uin=row.uin,
            reason_code=row.reason_code,
            reason=row.reason,
        )
    return answer


def list_packets(session: Session, *, status: PacketState | None, limit: int) -> list[PacketPublic]:
    """Admins: the newest packets first, optionally in one state (e.g. ``damaged``)."""
    query = select(PacketRow).order_by(PacketRow.registered_at.desc(), PacketRow.rid.desc()).limit(limit)
    if status is not None:
        query = query.where(PacketRow.status == status.value)
    with session.begin():
        return [
            PacketPublic(
                rid=r.rid,
                machine_id=r.machine_id,
                center_id=r.center_id,
                status=PacketState(r.status),
                size=r.size,
                reason_code=r.reason_code,
                reason=r.reason,
                # SQLite hands datetimes back naive; they are UTC, and the wire says so.
                registered_at=aware(r.registered_at),
                received_at=aware(r.received_at) if r.received_at else None,
            )
            for r in session.scalars(query)
        ]


def _set_status(session: Session, rid: str, status: PacketState, *, received: bool = False) -> None:
    """Record ``status`` in its own transaction (committed on return: the disk already shows it)."""
    with session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        row.status = status.value
        if received:
            row.received_at = utcnow()


def statuses(
    session: Session, *, rids: list[str], machine: Principal, blobs: BlobStore
) -> list[PacketStatus]:
    """Per-RID state of the caller's packets (others' and unknown RIDs read as ``unknown``)."""
    with session.begin():
        found = {
            r.rid: r
            for r in session.scalars(
                select(PacketRow).where(PacketRow.rid.in_(rids), PacketRow.machine_id == machine.subject)
            )
        }
        session.expunge_all()  # read below, after the transaction, while finishing may write
    answer = []
    for rid in rids:
        row = found.get(rid)
        if row is None:
            answer.append(PacketStatus(rid=rid, status=PacketState.unknown))
            continue
        state = PacketState(row.status)
        if state in _OPEN and _complete_on_disk(rid, row.size, blobs):
            state = finish_if_complete(session, rid=rid, blobs=blobs) or state
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

"""Packets from a stick through the upload path: each file is hashed against the manifest first, then
registered and sent through the packets service's own ``register_packet`` and ``upload_chunk`` (so the
blob store, its per-RID lock, the final hash check, publishing and ``received`` are the upload's own).
A file of a usual size is read once: the bytes hashed are the bytes sent. Packets go in on a few
threads, each with its own session, as concurrent uploads would.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.media.files import OverLimit, hash_file, read_bounded
from shared.media.layout import packet_file
from shared.media.models import ManifestPacket, ManifestRejection
from shared.packet.model import MAX_SEALED_PACKET_BYTES
from shared.sync import ErrorCode, PacketRegisterRequest, PacketState
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobStore
from sync_server.services.errors import Conflict, DomainError

CHUNK = 8 << 20  # bytes per upload_chunk call; a packet up to this size is read once, into memory
WORKERS = 2
_HELD = {PacketState.received, PacketState.processing, PacketState.processed}


@dataclass
class PacketOutcome:
    rid: str
    outcome: str  # received | already | refused | rejection_recorded
    detail: str = ""


def take_packets(
    engine: Engine,
    folder: Path,
    entries: list[ManifestPacket],
    *,
    principal: Principal,
    blobs: BlobStore,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[PacketOutcome]:
    """Take every packet of the manifest; outcomes in manifest order. ``progress(rid, done, total)``
    is called from the worker threads."""
    done = [0]

    def one(entry: ManifestPacket) -> PacketOutcome:
        with Session(engine) as session:
            outcome = take_packet(session, folder, entry, principal, blobs)
        done[0] += 1
        if progress:
            progress(entry.rid, done[0], len(entries))
        return outcome

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="media-intake") as pool:
        return list(pool.map(one, entries))


def _refused(entry: ManifestPacket, size: int) -> PacketOutcome:
    what = "truncated" if size < entry.size else "altered"
    return PacketOutcome(
        entry.rid, "refused", f"the packet file on the stick is {what} ({size} of {entry.size} bytes)"
    )


def take_packet(
    session: Session, folder: Path, entry: ManifestPacket, principal: Principal, blobs: BlobStore
) -> PacketOutcome:
    """Hash the file on the stick against the manifest, then register and upload it as the network does."""
    path = packet_file(folder, entry.rid)
    data: bytes | None = None
    try:
        if entry.size <= CHUNK:
            try:
                data = read_bounded(path, entry.size)
            except OverLimit:
                return _refused(entry, entry.size + 1)
            if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
                return _refused(entry, len(data))
        elif hash_file(path, MAX_SEALED_PACKET_BYTES) != (entry.sha256, entry.size):
            return _refused(entry, path.stat().st_size)
    except FileNotFoundError:
        return PacketOutcome(entry.rid, "refused", "the packet file is not on the stick")
    except OSError as exc:
        return PacketOutcome(entry.rid, "refused", f"the packet file cannot be read: {exc}")
    request = PacketRegisterRequest(
        rid=entry.rid,
        sha256=entry.sha256,
        size=entry.size,
        operator_id=entry.operator_id,
        supervisor_id=entry.supervisor_id,
        created_at=entry.created_at,
    )
    try:
        row, offset = packets.register_packet(session, request=request, machine=principal, blobs=blobs)
        status = PacketState(row.status)
        if status in _HELD:
            return PacketOutcome(entry.rid, "already", f"the server already has it ({status.value})")
        if status not in (PacketState.registered, PacketState.receiving):
            return PacketOutcome(entry.rid, "refused", f"the server holds this packet as {status.value}")
        return _upload(session, path, data, entry, offset, principal, blobs)
    except DomainError as exc:
        return PacketOutcome(entry.rid, "refused", exc.detail)
    except OSError as exc:
        return PacketOutcome(entry.rid, "refused", f"the packet file cannot be read: {exc}")


def _upload(
    session: Session,
    path: Path,
    data: bytes | None,
    entry: ManifestPacket,
    offset: int,
    principal: Principal,
    blobs: BlobStore,
) -> PacketOutcome:
    """Send the bytes from ``offset`` through ``upload_chunk`` (``data`` when already read, else the file);
    follow the server's offset on a mismatch (another upload of the same packet at the same time).
    Bounded: twice the chunks the file needs."""
    budget = 2 * (-(-entry.size // CHUNK)) + 4
    handle = (
        None
        if data is not None
        else os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
    )
    try:
        while budget > 0:
            budget -= 1
            want = min(CHUNK, entry.size - offset)
            if data is not None:
                chunk = data[offset : offset + want]
            else:
                handle.seek(offset)
                chunk = handle.read(want)
            try:
                offset, state = packets.upload_chunk(
                    session, rid=entry.rid, offset=offset, data=chunk, machine=principal, blobs=blobs
                )
            except Conflict as exc:
                if exc.code != ErrorCode.offset_mismatch or exc.current_offset is None:
                    raise
                offset = exc.current_offset
                continue
            if state in _HELD:
                return PacketOutcome(entry.rid, "received")
    finally:
        if handle is not None:
            handle.close()
    return PacketOutcome(entry.rid, "refused", "the upload did not finish; import the stick again")


def record_rejection(
    session: Session, rejection: ManifestRejection, principal: Principal, blobs: BlobStore
) -> PacketOutcome:
    """A packet the supervisor rejected at the kiosk: registered as rejected, as the network reports it."""
    request = PacketRegisterRequest(
        rid=rejection.rid,
        sha256=rejection.sha256,
        size=rejection.size,
        supervisor_id=rejection.supervisor_id,
        supervisor_rejected=True,
        reason=rejection.reason,
    )
    try:
        packets.register_packet(session, request=request, machine=principal, blobs=blobs)
    except DomainError as exc:
        return PacketOutcome(rejection.rid, "refused", exc.detail)
    return PacketOutcome(rejection.rid, "rejection_recorded")

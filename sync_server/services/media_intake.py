"""Packets from a stick into the blob store, each in one pass: the packets service's own registration
(idempotent: a packet the server holds already is left alone and not even read), then, under the
blob store's RID lock, ``BlobStore.ingest``: the file is copied from the stick while it is hashed,
stored with one fsync, and published only if its size and SHA-256 are the registered ones; then the
row says ``received``. The guarantees are the upload's: the status is re-read under the lock (a
network upload of the same packet may have finished it), nothing is published unchecked, and a kill
at any point leaves what an interrupted upload leaves (the packets service finishes or resumes it,
and importing again does the rest). A file whose size is not the manifest's is refused before
anything is registered; one whose bytes differ is refused after the copy, and the registration this
import made for it is taken back. Packets go in on a few threads, each with its own session.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from shared.media.files import open_regular
from shared.media.layout import packet_file
from shared.media.models import ManifestPacket, ManifestRejection
from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.sync import PacketRegisterRequest, PacketState
from sync_server.db.tables import PacketRow
from sync_server.services import packets
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobMismatch, BlobStore
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import DomainError

WORKERS = 2
# The intake threads take turns for their own status reads and writes (the bytes still move in
# parallel): on SQLite a writer then never meets the other's write lock and its busy back-off. Always
# the innermost lock (taken under a RID lock, never held while waiting for one): no lock cycle.
_DATABASE_TURN = threading.Lock()
_HELD = {PacketState.received, PacketState.processing, PacketState.processed}
_OPEN = {PacketState.registered, PacketState.receiving}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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


def open_on_stick(path: Path) -> tuple[BinaryIO, int]:
    """(reader, size) of the regular file at ``path``, following no symbolic link (MediaError), of at
    most the largest sealed packet."""
    fd, size = open_regular(path, MAX_SEALED_PACKET_BYTES)
    return os.fdopen(fd, "rb"), size


def take_packet(
    session: Session, folder: Path, entry: ManifestPacket, principal: Principal, blobs: BlobStore
) -> PacketOutcome:
    """Register the packet as the network does, then copy it from the stick in one checked pass."""
    try:
        handle, size = open_on_stick(packet_file(folder, entry.rid))
    except FileNotFoundError:
        return PacketOutcome(entry.rid, "refused", "the packet file is not on the stick")
    except OSError as exc:
        return PacketOutcome(entry.rid, "refused", f"the packet file cannot be read: {exc}")
    with handle:
        if size != entry.size:
            return _refused(entry, size)
        request = PacketRegisterRequest(
            rid=entry.rid,
            sha256=entry.sha256,
            size=entry.size,
            operator_id=entry.operator_id,
            supervisor_id=entry.supervisor_id,
            created_at=entry.created_at,
        )
        try:
            started = utcnow()
            row, _offset = packets.register_packet(session, request=request, machine=principal, blobs=blobs)
            status = PacketState(row.status)
            if status in _HELD:
                return PacketOutcome(entry.rid, "already", f"the server already has it ({status.value})")
            if status not in _OPEN:
                return PacketOutcome(entry.rid, "refused", f"the server holds this packet as {status.value}")
            return _ingest(session, handle, entry, blobs, registered_since=started)
        except DomainError as exc:
            return PacketOutcome(entry.rid, "refused", exc.detail)
        except OSError as exc:
            return PacketOutcome(entry.rid, "refused", f"the packet file cannot be read: {exc}")


def _ingest(
    session: Session, handle: BinaryIO, entry: ManifestPacket, blobs: BlobStore, *, registered_since
) -> PacketOutcome:
    """Under the RID lock: ingest, then record ``received`` only if the row is still open (one
    conditional UPDATE: a network upload that finished first, or a kiosk that reported the packet
    damaged, wins; identical bytes published again harm no one, a blob for a closed row is taken
    back). Bytes that are not the registered ones: nothing published, and a registration made by
    this import (at or after ``registered_since``, still without bytes) is deleted again."""
    rid = entry.rid
    with blobs.locked(rid):
        try:
            blobs.ingest(rid, handle, sha256=entry.sha256, size=entry.size)
        except BlobMismatch:
            untouched = blobs.offset(rid) == 0
            with _DATABASE_TURN, session.begin():
                row = session.get(PacketRow, rid, populate_existing=True)
                if (
                    untouched
                    and row is not None
                    and row.status == PacketState.registered.value
                    and aware(row.registered_at) >= registered_since
                ):
                    session.delete(row)
            return _refused(entry, entry.size)  # same size (checked first), other bytes: altered
        with _DATABASE_TURN, session.begin():  # the blob is published (durably): now the row may say so
            marked = session.execute(
                update(PacketRow)
                .where(PacketRow.rid == rid, PacketRow.status.in_([s.value for s in _OPEN]))
                .values(status=PacketState.received.value, received_at=utcnow())
            ).rowcount
            held = None if marked else session.scalar(select(PacketRow.status).where(PacketRow.rid == rid))
        if marked:
            return PacketOutcome(rid, "received")
        if held is not None and PacketState(held) in _HELD:
            return PacketOutcome(rid, "already", f"the server already has it ({held})")
        blobs.discard(rid, final=True)
    return PacketOutcome(rid, "refused", "the packet's registration changed meanwhile; import again")


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

"""Packets from a stick into the blob store, a bounded batch at a time, each packet in one pass.

A batch (at most ``BATCH_PACKETS`` packets and about ``BATCH_BYTES``): each file is opened (no
symbolic link, a regular file) and its size checked against the manifest, and the request passes the
packets service's own registration checks; then ONE transaction registers every RID the server has
never seen, as ``packets.register_packet`` would. Under the blob store's RID locks (taken in RID
order, held until the rows say what happened) each of them is copied from the stick while it is
hashed and kept only if its size and SHA-256 are the registered ones (``BlobStore.ingest``, the disk
writing it while the next one is copied); ONE ``publish_many`` fsyncs them, publishes them and
fsyncs the folder once, then ONE transaction says ``received`` for every row still open (a network
upload that finished first, or a kiosk that reported the packet damaged, wins) and takes back the
registration of a packet whose bytes were not the registered ones. A RID the server knows already
goes the upload's way alone (``register_packet``, which finishes what a crash left; a packet the
server holds is not even read).

The guarantees are the upload's: nothing is published unchecked, no row says ``received`` before its
blob is durably published, and a kill at any point leaves what interrupted uploads leave
(registrations, complete partials or published blobs not yet recorded), which the packets service
finishes and importing again completes. Batches go in on a few threads, each with its own session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
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
# A batch holds one RID lock per packet (on PostgreSQL a pooled connection each: WORKERS x BATCH_PACKETS
# stays under the lock pool's 20) while it copies at most about BATCH_BYTES (what an upload of one of
# those RIDs may wait for).
BATCH_PACKETS = 8
BATCH_BYTES = 64 * 1024 * 1024
# The intake threads take turns for their own status reads and writes (the bytes still move in
# parallel): on SQLite a writer then never meets the other's write lock and its busy back-off. Always
# the innermost lock (taken under RID locks, never held while waiting for one): no lock cycle.
_DATABASE_TURN = threading.Lock()
_HELD = {PacketState.received, PacketState.processing, PacketState.processed}
_OPEN = {PacketState.registered, PacketState.receiving}
_OPEN_VALUES = [s.value for s in _OPEN]

Step = Callable[[str], None]  # one packet of the manifest is through (its RID)


@dataclass
class PacketOutcome:
    rid: str
    outcome: str  # received | already | refused | rejection_recorded
    detail: str = ""


def batches(
    entries: list[ManifestPacket], *, packets_max: int = BATCH_PACKETS, bytes_max: int = BATCH_BYTES
) -> list[list[ManifestPacket]]:
    """Consecutive runs of ``entries`` of at most ``packets_max`` packets and ``bytes_max`` bytes (a
    larger packet alone)."""
    runs: list[list[ManifestPacket]] = []
    size = 0
    for entry in entries:
        if not runs or len(runs[-1]) >= packets_max or size + entry.size > bytes_max:
            runs.append([])
            size = 0
        runs[-1].append(entry)
        size += entry.size
    return runs


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
    is called from the worker threads as each packet's bytes are through."""
    done, counting = [0], threading.Lock()

    def step(rid: str) -> None:
        with counting:
            done[0] += 1
            count = done[0]
        if progress:
            progress(rid, count, len(entries))

    def one(batch: list[ManifestPacket]) -> list[PacketOutcome]:
        with Session(engine) as session:
            return take_batch(session, folder, batch, principal=principal, blobs=blobs, step=step)

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="media-intake") as pool:
        outcomes = {o.rid: o for found in pool.map(one, batches(entries)) for o in found}
    return [outcomes[entry.rid] for entry in entries]


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


def _request(entry: ManifestPacket) -> PacketRegisterRequest:
    return PacketRegisterRequest(
        rid=entry.rid,
        sha256=entry.sha256,
        size=entry.size,
        operator_id=entry.operator_id,
        supervisor_id=entry.supervisor_id,
        created_at=entry.created_at,
    )


def _open_checked(folder: Path, entry: ManifestPacket, principal: Principal) -> BinaryIO | PacketOutcome:
    """The packet's file, open, of the manifest's size, for a request the registration accepts; or why not."""
    try:
        handle, size = open_on_stick(packet_file(folder, entry.rid))
    except FileNotFoundError:
        return PacketOutcome(entry.rid, "refused", "the packet file is not on the stick")
    except OSError as exc:
        return PacketOutcome(entry.rid, "refused", f"the packet file cannot be read: {exc}")
    try:
        if size != entry.size:
            handle.close()
            return _refused(entry, size)
        packets.check_registration(_request(entry), principal)
    except DomainError as exc:
        handle.close()
        return PacketOutcome(entry.rid, "refused", exc.detail)
    return handle


def take_batch(
    session: Session,
    folder: Path,
    batch: list[ManifestPacket],
    *,
    principal: Principal,
    blobs: BlobStore,
    step: Step,
) -> list[PacketOutcome]:
    """Take one batch (see the module); outcomes in the batch's order."""
    outcomes: dict[str, PacketOutcome] = {}
    with contextlib.ExitStack() as files:
        ready: list[tuple[ManifestPacket, BinaryIO]] = []
        for entry in sorted(batch, key=lambda e: e.rid):  # RID order: the order of the RID locks
            opened = _open_checked(folder, entry, principal)
            if isinstance(opened, PacketOutcome):
                outcomes[entry.rid] = opened
                step(entry.rid)
            else:
                ready.append((entry, files.enter_context(opened)))
        started = utcnow()
        new = _register_new(session, [entry for entry, _ in ready], principal)
        taken = [(entry, handle) for entry, handle in ready if entry.rid in new]
        outcomes.update(_ingest(session, taken, blobs, step=step, registered_since=started))
        for entry, handle in ready:
            if entry.rid not in new:
                outcomes[entry.rid] = _take_known(session, handle, entry, principal, blobs)
                step(entry.rid)
    return [outcomes[entry.rid] for entry in batch]


def _register_new(session: Session, entries: list[ManifestPacket], principal: Principal) -> set[str]:
    """One transaction: the row ``packets.register_packet`` adds for each RID the server has never
    seen; their RIDs. A clash with a registration made meanwhile (by the network) adds none: every
    RID of the batch then goes the known way."""
    if not entries:
        return set()
    try:
        with _DATABASE_TURN, session.begin():
            rids = [entry.rid for entry in entries]
            known = set(session.scalars(select(PacketRow.rid).where(PacketRow.rid.in_(rids))))
            new = [entry for entry in entries if entry.rid not in known]
            session.add_all(packets.new_row(_request(entry), principal) for entry in new)
    except IntegrityError:
        return set()
    finally:
        session.expunge_all()
    return {entry.rid for entry in new}


def _take_known(
    session: Session, handle: BinaryIO, entry: ManifestPacket, principal: Principal, blobs: BlobStore
) -> PacketOutcome:
    """A RID the server knows: register it as the network does (idempotent; it finishes an upload a
    crash left complete), then take the bytes if the row still waits for them."""
    try:
        started = utcnow()
        row, _offset = packets.register_packet(
            session, request=_request(entry), machine=principal, blobs=blobs
        )
        status = PacketState(row.status)
        if status in _HELD:
            return PacketOutcome(entry.rid, "already", f"the server already has it ({status.value})")
        if status not in _OPEN:
            return PacketOutcome(entry.rid, "refused", f"the server holds this packet as {status.value}")
    except DomainError as exc:
        return PacketOutcome(entry.rid, "refused", exc.detail)
    except OSError as exc:  # finishing an earlier upload read the store
        return PacketOutcome(entry.rid, "refused", f"the packet cannot be stored: {exc}")
    return _ingest(session, [(entry, handle)], blobs, step=lambda _rid: None, registered_since=started)[
        entry.rid
    ]


def _ingest(
    session: Session,
    taken: list[tuple[ManifestPacket, BinaryIO]],
    blobs: BlobStore,
    *,
    step: Step,
    registered_since: dt.datetime,
) -> dict[str, PacketOutcome]:
    """Under the RID locks of ``taken`` (in RID order): ingest each, publish them together, then one
    transaction records ``received`` where the row is still open (identical bytes published again
    harm no one; a blob for a row closed meanwhile is taken back). Bytes that are not the registered
    ones: nothing published, and a registration made by this import (at or after
    ``registered_since``, still without bytes) is deleted again."""
    outcomes: dict[str, PacketOutcome] = {}
    stored: list[str] = []
    mismatched: list[str] = []
    with contextlib.ExitStack() as locks:
        for entry, handle in taken:
            try:
                locks.enter_context(blobs.locked(entry.rid))  # Busy: a shared lock held too long
                blobs.ingest(entry.rid, handle, sha256=entry.sha256, size=entry.size, publish=False)
            except BlobMismatch:
                mismatched.append(entry.rid)
                outcomes[entry.rid] = _refused(entry, entry.size)  # same size (checked), other bytes
            except DomainError as exc:  # the store refuses (S3 away): retry later
                outcomes[entry.rid] = PacketOutcome(entry.rid, "refused", exc.detail)
            except OSError as exc:
                outcomes[entry.rid] = PacketOutcome(
                    entry.rid, "refused", f"the packet file cannot be read: {exc}"
                )
            else:
                stored.append(entry.rid)
            step(entry.rid)
        try:
            blobs.publish_many(stored)
        except OSError as exc:  # none published (their partials dropped), none recorded: import again
            for rid in stored:
                outcomes[rid] = PacketOutcome(
                    rid, "refused", f"the server could not store it ({exc}); import again"
                )
            stored = []
        untouched = [rid for rid in mismatched if blobs.offset(rid) == 0]
        marked, held = _record(session, stored, untouched, registered_since)
        for rid in stored:
            if rid in marked:
                outcomes[rid] = PacketOutcome(rid, "received")
            elif held.get(rid) in _HELD:
                outcomes[rid] = PacketOutcome(
                    rid, "already", f"the server already has it ({held[rid].value})"
                )
            else:
                blobs.discard(rid, final=True)
                outcomes[rid] = PacketOutcome(
                    rid, "refused", "the packet's registration changed meanwhile; import again"
                )
    return outcomes


def _record(
    session: Session, published: list[str], untouched: list[str], registered_since: dt.datetime
) -> tuple[set[str], dict[str, PacketState]]:
    """One transaction: ``received`` for the open rows of ``published`` (their RIDs), the state of the
    others, and the registrations of ``untouched`` (refused bytes) made since ``registered_since`` gone."""
    if not published and not untouched:
        return set(), {}
    with _DATABASE_TURN, session.begin():
        marked: set[str] = set()
        if published:
            marked = set(
                session.scalars(
                    update(PacketRow)
                    .where(PacketRow.rid.in_(published), PacketRow.status.in_(_OPEN_VALUES))
                    .values(status=PacketState.received.value, received_at=utcnow())
                    .returning(PacketRow.rid),
                    execution_options={"synchronize_session": False},
                )
            )
        others = [rid for rid in published if rid not in marked]
        held = {
            rid: PacketState(status)
            for rid, status in session.execute(
                select(PacketRow.rid, PacketRow.status).where(PacketRow.rid.in_(others))
            )
        }
        for rid in untouched:
            row = session.get(PacketRow, rid, populate_existing=True)
            if (
                row is not None
                and row.status == PacketState.registered.value
                and aware(row.registered_at) >= registered_since
            ):
                session.delete(row)
    return marked, held


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

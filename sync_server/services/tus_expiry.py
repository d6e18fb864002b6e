"""Expiry of unfinished uploads (tus ``expiration``): an upload still taking bytes expires UPLOAD_TTL after
its last activity (registration, or the last byte that reached the disk). An expired upload loses its
partial bytes and its registration, so the RID can be announced afresh; nothing else is ever dropped.

Dropping is lazy (the owner's next register, HEAD or PATCH of that RID) or by ``expire_stale_uploads``,
which a running server calls at start and then every ``upload_sweep_interval_s`` (``UploadSweeper``).
Bytes go first, then the row: a crash in between leaves a registration at offset 0, never a partial
file without its registration (which a new registration of the RID would resume from).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.sync import PacketState
from sync_server.db.tables import PacketRow
from sync_server.services.blob_store import BlobStore
from sync_server.services.clock import aware, utcnow

log = logging.getLogger(__name__)
UPLOAD_TTL = dt.timedelta(days=7)  # kiosks may stay offline for days; a week keeps their partials
_OPEN = (PacketState.registered.value, PacketState.receiving.value)


def last_activity(*, rid: str, registered_at: dt.datetime, blobs: BlobStore) -> dt.datetime:
    """When the upload last moved: the partial's last write, else the registration."""
    registered = aware(registered_at)
    touched = blobs.last_write(rid)
    return registered if touched is None else max(registered, touched)


def expires_at(
    *, rid: str, registered_at: dt.datetime, blobs: BlobStore, ttl: dt.timedelta = UPLOAD_TTL
) -> dt.datetime:
    """The ``Upload-Expires`` of an unfinished upload."""
    return last_activity(rid=rid, registered_at=registered_at, blobs=blobs) + ttl


def _expired(row: PacketRow | None, machine_id: str | None, blobs: BlobStore, ttl: dt.timedelta) -> bool:
    if row is None or row.status not in _OPEN or (machine_id is not None and row.machine_id != machine_id):
        return False
    return expires_at(rid=row.rid, registered_at=row.registered_at, blobs=blobs, ttl=ttl) <= utcnow()


def drop_if_expired(
    session: Session,
    *,
    rid: str,
    blobs: BlobStore,
    machine_id: str | None = None,
    ttl: dt.timedelta = UPLOAD_TTL,
) -> bool:
    """Drop ``rid``'s upload if it is unfinished and expired (and, given ``machine_id``, that machine's);
    True when it was dropped. An upload whose bytes are all on disk is never dropped (it is finished by
    the packets service instead). Takes the RID lock only when the quick check says expired."""
    with session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        stale = _expired(row, machine_id, blobs, ttl)
    if not stale:
        return False
    with blobs.locked(rid), session.begin():
        row = session.get(PacketRow, rid, populate_existing=True)
        if not _expired(row, machine_id, blobs, ttl) or blobs.has_final(rid) or blobs.offset(rid) == row.size:
            return False
        blobs.discard(rid)
        session.delete(row)
    return True


def expire_stale_uploads(session: Session, *, blobs: BlobStore, ttl: dt.timedelta = UPLOAD_TTL) -> list[str]:
    """Drop every expired unfinished upload (a sweep: start-up or a periodic job); returns their RIDs."""
    with session.begin():
        candidates = session.scalars(
            select(PacketRow.rid).where(
                PacketRow.status.in_(_OPEN), PacketRow.registered_at <= utcnow() - ttl
            )
        ).all()
    return [rid for rid in candidates if drop_if_expired(session, rid=rid, blobs=blobs, ttl=ttl)]


class UploadSweeper:
    """A thread of the running server that calls ``expire_stale_uploads`` every ``interval_s`` (several
    servers may sweep at once: each drop is rechecked under the RID lock). A failed sweep (database or
    blob store away) is logged and tried again at the next interval."""

    def __init__(
        self, engine: Engine, *, blobs: BlobStore, interval_s: float, ttl: dt.timedelta = UPLOAD_TTL
    ):
        self.engine, self.blobs, self.interval_s, self.ttl = engine, blobs, interval_s, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="upload-sweeper", daemon=True)

    def sweep(self) -> list[str]:
        with Session(self.engine) as session:
            dropped = expire_stale_uploads(session, blobs=self.blobs, ttl=self.ttl)
        if dropped:
            log.info("dropped %d expired unfinished uploads", len(dropped))
        return dropped

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep()
            except Exception:
                log.exception("sweep of expired uploads failed; trying again in %.0f s", self.interval_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

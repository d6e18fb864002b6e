"""The sync server's side of the hand-over to processing, over its ``packets`` table: intake -> queue
(``PacketIntake``), outcome -> packet status (``PacketOutcomes``), and the sealed file of a queued
packet (``ReceivedPackets``: ``StoredPackets``), ports of ``processing.ports``.

Workers open a packet by path. Where the blob store keeps published packets on this machine's disk
(the local folder) that is the store's own file; where it does not (S3) the packet is fetched into a
scratch folder of this process, ``DATA/tmp/packets-<pid>``: one copy per thread at a time (taking the
next packet drops the previous copy), the folder removed when the backend stops, and the folders of
processes no longer running removed when the next one starts. The copy is age ciphertext, as stored.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, inspect, select, update

from sync_server.db.tables import PacketRow
from sync_server.files import open_private, private_dir
from sync_server.processing.ports import QueueReceivedPackets, ReceivedPacket
from sync_server.processing.tables import processing_jobs
from sync_server.services.blob_store import BlobStore

# The packet status the kiosk sees for each queue status: anything not final is still "processing".
_WIRE_STATUS = {"processed": "processed", "rejected": "rejected"}


class ServerPackets:
    """``PacketIntake`` and ``PacketOutcomes`` over the ``packets`` table; sealed files in ``blob_dir``
    (named as ``LocalBlobStore.final_path`` names them), or in ``blobs`` where given (the queue's path
    of a packet in a store without local files is its name only: ``StoredPackets`` fetches it)."""

    def __init__(self, engine: Engine, *, blob_dir: Path, blobs: BlobStore | None = None) -> None:
        self.engine, self.blob_dir, self.blobs = engine, blob_dir, blobs

    def _path(self, rid: str) -> Path:
        if self.blobs is None:
            return self.blob_dir / f"{rid}.age"
        return self.blobs.local_file(rid) or Path(f"{rid}.age")

    def received_not_queued(self, *, limit: int) -> list[ReceivedPacket]:
        query = (
            select(
                PacketRow.rid,
                PacketRow.sha256,
                PacketRow.size,
                PacketRow.center_id,
                PacketRow.machine_id,
                PacketRow.operator_id,
            )
            .where(PacketRow.status == "received", ~PacketRow.rid.in_(select(processing_jobs.c.rid)))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            ReceivedPacket(
                rid=row.rid,
                path=self._path(row.rid),
                sha256=row.sha256,
                size=int(row.size),
                center_id=row.center_id,
                machine_id=row.machine_id,
                operator_id=row.operator_id,
            )
            for row in rows
        ]

    def record_outcome(
        self,
        conn: Connection,
        *,
        rid: str,
        status: str,
        uin: str | None,
        reason_code: str | None,
        reason: str | None,
    ) -> None:
        mirror_status(conn, rid=rid, status=status, uin=uin, reason_code=reason_code, reason=reason)


# Built once: every packet a worker finishes runs it.
_MIRROR = update(PacketRow).where(PacketRow.rid == bindparam("packet_rid"))


def mirror_status(
    conn: Connection, *, rid: str, status: str, uin: str | None, reason_code: str | None, reason: str | None
) -> None:
    """Write the queue ``status`` of ``rid`` as the status the kiosk sees, on ``conn``."""
    wire = _WIRE_STATUS.get(status, "processing")
    values = {
        "packet_rid": rid,
        "status": wire,
        "uin": uin if wire == "processed" else None,
        "reason_code": reason_code,
        "reason": reason if reason_code else None,
    }
    conn.execute(_MIRROR, values)


def server_packets(engine: Engine, *, blob_dir: Path, blobs: BlobStore | None = None) -> ServerPackets | None:
    """The hand-over over ``engine``'s ``packets`` table; None in a database without one (processing
    only: nothing to sweep, no status to keep in step)."""
    if not inspect(engine).has_table("packets"):
        return None
    return ServerPackets(engine, blob_dir=blob_dir, blobs=blobs)


class StoredPackets(QueueReceivedPackets):
    """``ReceivedPackets`` whose ``blob_path`` is a local file of the published packet (see the module
    docstring); ``registered`` is the queue row's, as before."""

    def __init__(self, engine: Engine, *, blobs: BlobStore, data_dir: Path) -> None:
        super().__init__(engine)
        self.blobs = blobs
        self.scratch = data_dir / "tmp" / f"packets-{os.getpid()}"
        self._held = threading.local()
        self._lock = threading.Lock()
        self._swept = False

    def blob_path(self, rid: str) -> Path:
        own = self.blobs.local_file(rid)
        if own is not None:
            return own
        self.release()
        self._prepare()
        target = self.scratch / f"{rid}.{threading.get_ident()}.age"
        partial = target.with_name(target.name + ".part")
        try:
            with os.fdopen(open_private(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as out:
                self.blobs.download(rid, out)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self._held.path = target
        return target

    def release(self) -> None:
        """Drop this thread's fetched copy, if any."""
        held = getattr(self._held, "path", None)
        if held is not None:
            held.unlink(missing_ok=True)
            self._held.path = None

    def close(self) -> None:
        """Remove this process's scratch folder (the backend is stopping)."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _prepare(self) -> None:
        with self._lock:
            if self._swept:
                return
            private_dir(self.scratch.parent)
            for folder in self.scratch.parent.glob("packets-*"):
                if folder != self.scratch and not _running(folder.name.removeprefix("packets-")):
                    shutil.rmtree(folder, ignore_errors=True)
            self._swept = True
        private_dir(self.scratch)


def _running(pid: str) -> bool:
    """Whether process ``pid`` of this machine still runs (a scratch folder of another is kept)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def received_packets(engine: Engine, *, blobs: BlobStore | None, data_dir: Path) -> QueueReceivedPackets:
    """What processing opens packets through: the queue's paths as they are without a blob store."""
    if blobs is None:
        return QueueReceivedPackets(engine)
    return StoredPackets(engine, blobs=blobs, data_dir=data_dir)

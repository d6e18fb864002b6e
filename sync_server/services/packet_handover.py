"""The sync server's side of the hand-over to processing, over its ``packets`` table: intake -> queue
(``PacketIntake``) and outcome -> packet status (``PacketOutcomes``), ports of ``processing.ports``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select, update

from sync_server.db.tables import PacketRow
from sync_server.processing.ports import ReceivedPacket
from sync_server.processing.tables import processing_jobs

# The packet status the kiosk sees for each queue status: anything not final is still "processing".
_WIRE_STATUS = {"processed": "processed", "rejected": "rejected"}


class ServerPackets:
    """``PacketIntake`` and ``PacketOutcomes`` over the ``packets`` table; sealed files in ``blob_dir``
    (named as ``BlobStore.final_path`` names them)."""

    def __init__(self, engine: Engine, *, blob_dir: Path) -> None:
        self.engine, self.blob_dir = engine, blob_dir

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
                path=self.blob_dir / f"{row.rid}.age",
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


def mirror_status(
    conn: Connection, *, rid: str, status: str, uin: str | None, reason_code: str | None, reason: str | None
) -> None:
    """Write the queue ``status`` of ``rid`` as the status the kiosk sees, on ``conn``."""
    wire = _WIRE_STATUS.get(status, "processing")
    conn.execute(
        update(PacketRow)
        .where(PacketRow.rid == rid)
        .values(
            status=wire,
            uin=uin if wire == "processed" else None,
            reason_code=reason_code,
            reason=reason if reason_code else None,
        )
    )


def server_packets(engine: Engine, *, blob_dir: Path) -> ServerPackets | None:
    """The hand-over over ``engine``'s ``packets`` table; None in a database without one (processing
    only: nothing to sweep, no status to keep in step)."""
    return ServerPackets(engine, blob_dir=blob_dir) if inspect(engine).has_table("packets") else None

"""The processing part of a packet's status as the kiosk sees it (``shared.sync.PacketStatus``).

The status endpoint itself reads the server's ``packets`` row, which the worker mirrors from the
queue row in the same transaction (``queue.finish``); this reads the queue row directly, in the same
shape. A rejection carries ``reason_code`` (stable, e.g. ``duplicate``) and ``reason`` (for the
operator, e.g. ``duplicate of UIN 4825139076``).
"""

from __future__ import annotations

from sqlalchemy import Engine

from shared.sync.models import PacketState, PacketStatus
from sync_server.processing.queue import job_status


def processing_status(engine: Engine, rid: str) -> PacketStatus | None:
    """None when the packet is not in the processing queue (the server then reports its upload state)."""
    state = job_status(engine, rid)
    if state is None:
        return None
    if state["status"] == "processed":
        return PacketStatus(rid=rid, status=PacketState.processed, uin=state["uin"])
    if state["status"] == "rejected":
        return PacketStatus(
            rid=rid,
            status=PacketState.rejected,
            reason_code=state["reason_code"],
            reason=state["reason_text"],
        )
    # queued / running / retry / failed (waiting for an admin): still ours to finish, never dropped.
    if state["status"] in ("retry", "failed"):
        return PacketStatus(
            rid=rid,
            status=PacketState.processing,
            reason_code=state["reason_code"],
            reason=state["reason_text"],
        )
    return PacketStatus(rid=rid, status=PacketState.processing)

"""The processing part of a packet's status as the kiosk sees it (``shared.sync.PacketStatus``).

The status endpoint asks this for packets that are fully received. The wire model carries one
``reason`` string, so rejections read ``"<code>: <text>"`` (e.g. ``duplicate: duplicate of UIN
4825139076``): the code stays machine-readable at the start, the text is for the operator.
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
            rid=rid, status=PacketState.rejected, reason=f"{state['reason_code']}: {state['reason_text']}"
        )
    # queued / running / retry / failed (waiting for an admin): still ours to finish, never dropped.
    waiting = (
        f"{state['reason_code']}: {state['reason_text']}" if state["status"] in ("retry", "failed") else None
    )
    return PacketStatus(rid=rid, status=PacketState.processing, reason=waiting)

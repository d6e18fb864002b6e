"""Admin API routes behind the console's packets pages: search, one packet with its processing
timeline, and reprocessing. Admins and auditors see every center, a center admin their own; only
admins and center admins reprocess (``services.console_packets`` holds the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shared.sync import ErrorBody
from sync_server.api.deps import StateDep, user_with
from sync_server.services import console_packets
from sync_server.services.auth import Principal, principal_centers
from sync_server.services.console_packets import PacketFilters, PacketLine, StageAttempt
from sync_server.services.roles import ADMIN, AUDITOR, CENTER_ADMIN

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
Reader = Annotated[Principal, user_with(ADMIN, CENTER_ADMIN, AUDITOR)]
Reprocessor = Annotated[Principal, user_with(ADMIN, CENTER_ADMIN)]
RidPath = Annotated[str, Path(pattern=r"^[0-9]{29}$")]


class PacketSearchOut(BaseModel):
    packets: list[PacketLine]  # the service's rows, as they are
    next_after: str | None  # pass as ``after`` for the next (older) page


class PacketDetailOut(BaseModel):
    rid: str
    center_id: str
    machine_id: str
    operator_id: str | None
    supervisor_id: str | None
    size: int
    sha256: str
    status: str
    uin: str | None
    reason_code: str | None
    reason: str | None
    registered_at: dt.datetime
    received_at: dt.datetime | None
    processing: dict[str, Any] | None
    timeline: list[StageAttempt]


class ReprocessOut(BaseModel):
    rid: str
    result: str  # queued | running (a worker has it; nothing changed) | not_queued (not received yet)


def _centers(state, principal: Principal) -> frozenset[str] | None:
    with Session(state.engine) as session:
        return principal_centers(session, principal)


@router.get("/packets/search", responses=_ERRORS)
def search_packets(
    state: StateDep,
    principal: Reader,
    rid: Annotated[str, Query(max_length=29)] = "",
    center: Annotated[str, Query(max_length=5)] = "",
    machine: Annotated[str, Query(max_length=5)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    processing: Annotated[str, Query(max_length=16)] = "",
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=console_packets.MAX_PAGE_SIZE)] = console_packets.PAGE_SIZE,
) -> PacketSearchOut:
    """Packets by RID (whole or start), center, machine, packet status, processing status and
    registration day (UTC, both ends included), newest first, keyset-paged with ``after``."""
    filters = PacketFilters(rid, center, machine, status, processing, date_from, date_to)
    page = console_packets.search_packets(
        state.engine,
        filters=filters,
        centers=_centers(state, principal),
        after=after,
        limit=limit,
    )
    return PacketSearchOut(packets=page.lines, next_after=page.next_cursor)


@router.get("/packets/{rid}", responses=_ERRORS)
def packet_detail(rid: RidPath, state: StateDep, principal: Reader) -> PacketDetailOut:
    """One packet's facts, its processing queue row and every stage attempt, oldest first."""
    detail = console_packets.packet_detail(state.engine, rid=rid, centers=_centers(state, principal))
    return _detail_out(detail)


def _detail_out(detail: console_packets.PacketDetail) -> PacketDetailOut:
    facts = {k: v for k, v in detail.facts.items() if k in PacketDetailOut.model_fields}
    return PacketDetailOut(
        **(facts | {"uin": detail.uin}),
        processing=detail.job,
        timeline=detail.timeline,
    )


@router.post("/packets/{rid}/reprocess", responses=_ERRORS)
def reprocess_packet(rid: RidPath, state: StateDep, principal: Reprocessor) -> ReprocessOut:
    """Queue the packet again now (audited as ``packets.reprocess``); a packet a worker is running
    is left alone (``running``), one not fully received yet was never queued (``not_queued``)."""
    result = console_packets.reprocess_packet(
        state.engine,
        rid=rid,
        centers=_centers(state, principal),
        roles=frozenset(principal.roles),
        actor=principal.subject,
    )
    return ReprocessOut(rid=rid, result=result)

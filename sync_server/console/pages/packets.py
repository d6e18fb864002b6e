"""The packets pages: a filtered, paged search and one packet's facts, stage timeline and Reprocess
(admins; center admins within their centers; auditors read only). Rules in services.console_packets."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from sync_server.api.deps import StateDep
from sync_server.console.guard import NoAccess, PostedForm, page
from sync_server.console.web import View, redirect, render
from sync_server.services import console_packets
from sync_server.services.console_packets import PacketFilters
from sync_server.services.errors import BadInput, NotFound

router = APIRouter(prefix="/console", include_in_schema=False)
Packets = Annotated[View, page("packets")]
_RID = re.compile(r"^[0-9]{29}$")
# the outcome a reprocess redirect may name (anything else in the query shows nothing)
_DONE = {"queued": "ok", "running": "warn", "not_queued": "warn"}


@router.get("/packets")
def packet_list(view: Packets, state: StateDep) -> Response:
    query = view.request.query_params
    flashes, filters, result = [], PacketFilters(), None
    try:
        filters = console_packets.filters_from(query)
        result = console_packets.search_packets(
            state.engine, filters=filters, centers=view.user.centers, after=query.get("after") or None
        )
    except BadInput as exc:
        flashes.append(("error", view.t("packets.bad_filter", detail=exc.detail)))
    items = filters.query_items()
    next_url = (
        "/console/packets?" + urlencode(items | {"after": result.next_cursor})
        if result and result.next_cursor
        else None
    )
    return render(
        view,
        "packets.html",
        flashes=flashes,
        filters=filters,
        lines=result.lines if result else [],
        next_url=next_url,
        first_url=("/console/packets?" + urlencode(items)) if query.get("after") else None,
        statuses=console_packets.PACKET_STATUSES,
        processing_statuses=console_packets.PROCESSING_STATUSES,
        scoped=view.user.centers is not None,
    )


@router.get("/packets/{rid}")
def packet_detail(rid: str, view: Packets, state: StateDep) -> Response:
    try:
        if not _RID.match(rid):
            return _missing(view, rid)
        detail = console_packets.packet_detail(state.engine, rid=rid, centers=view.user.centers)
    except NotFound:
        return _missing(view, rid)
    done = view.request.query_params.get("done")
    flashes = [(_DONE[done], view.t(f"packets.done_{done}"))] if done in _DONE else []
    return render(
        view,
        "packets_detail.html",
        flashes=flashes,
        detail=detail,
        facts=detail.facts,
        job=detail.job,
        may_reprocess=console_packets.may_reprocess(view.user.roles),
    )


@router.post("/packets/{rid}/reprocess")
def reprocess(rid: str, view: Packets, form: PostedForm, state: StateDep) -> Response:
    if not console_packets.may_reprocess(view.user.roles):
        raise NoAccess(view)
    if not _RID.match(rid):
        return _missing(view, rid)
    try:
        result = console_packets.reprocess_packet(
            state.engine,
            rid=rid,
            centers=view.user.centers,
            roles=view.user.roles,
            actor=view.user.username,
        )
    except NotFound:
        return _missing(view, rid)
    return redirect(view, f"/console/packets/{rid}?done={result}")


def _missing(view: View, rid: str) -> Response:
    return render(view, "packets_missing.html", status=404, rid=rid[:40])

"""The machines page (admins and center admins): pending enrolments to approve or reject with a reason,
then every machine in the caller's centers, filtered and paged, with revoke for approved ones."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from shared.sync import MachineStatus
from shared.sync.models import MACHINE_ID_PATTERN
from sync_server.api.deps import SessionDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, redirect, render
from sync_server.services import console_machines
from sync_server.services.console_machines import ACTIONS, MachineFilter
from sync_server.services.errors import Conflict, NotFound

router = APIRouter(prefix="/console", include_in_schema=False)
URL = "/console/machines"
MachinesView = Annotated[View, page("machines")]
BADGES = {"pending": "warn", "approved": "ok", "rejected": "muted", "revoked": "bad"}
STATUS_WORDS = {s.value: f"machines.status_{s.value}" for s in MachineStatus}
# ?done= values the page shows a flash for (anything else is ignored)
DONE = {
    "approve": ("ok", "machines.done_approve"),
    "reject": ("ok", "machines.done_reject"),
    "revoke": ("ok", "machines.done_revoke"),
    "conflict": ("warn", "machines.done_conflict"),
}


@router.get("/machines")
def machines_page(
    view: MachinesView,
    session: SessionDep,
    status: Annotated[str, Query(max_length=16)] = "",
    center: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    status = status if status in set(MachineStatus) else ""
    where = MachineFilter(
        status=status or None, center_id=center or None, text=q.strip() or None, page=page_no
    )
    listing = console_machines.list_for_console(session, centers=view.user.centers, where=where)
    filters = {"status": status, "center": center, "q": q.strip()}
    kept = {k: v for k, v in filters.items() if v}
    flashes = [(DONE[done][0], view.t(DONE[done][1]))] if done in DONE else []
    return render(
        view,
        "machines.html",
        listing=listing,
        filters=filters,
        statuses=list(MachineStatus),
        badges=BADGES,
        status_words=STATUS_WORDS,
        page_url=lambda n: f"{URL}?{urlencode({**kept, 'page': n})}",
        flashes=flashes,
    )


@router.post("/machines/{machine_id}/{action}")
def decide(
    view: MachinesView,
    form: PostedForm,
    session: SessionDep,
    machine_id: Annotated[str, Path(pattern=MACHINE_ID_PATTERN)],
    action: Annotated[str, Path(pattern="^(" + "|".join(ACTIONS) + ")$")],
) -> Response:
    reason = form.get("reason")
    try:
        console_machines.decide(
            session,
            machine_id=machine_id,
            action=action,
            actor=view.user.username,
            centers=view.user.centers,
            reason=reason if isinstance(reason, str) else None,
        )
    except NotFound:
        return render(
            view, "message.html", status=404, title_key="machines.unknown", text_key="machines.unknown_text"
        )
    except Conflict:
        return redirect(view, f"{URL}?done=conflict")
    return redirect(view, f"{URL}?done={action}")

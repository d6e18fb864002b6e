"""The adjudication pages (adjudicators, admins): pending cases, one case side by side, a decision
with a reason, or a request for more information the kiosk officer answers with a correction.

Every look at a case reads its candidates through the audited ID store read; decisions and requests
are audited with the change itself (``services.adjudication_desk``). A process without a backend
says so instead of each route checking.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync_server.api.deps import StateDep
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, redirect, render
from sync_server.services.adjudication_desk import MAX_REQUEST_CHARS, AdjudicationDesk, AdjudicationError

router = APIRouter(prefix="/console", include_in_schema=False)
Adjudicators = Annotated[View, page("adjudication")]
_RID = re.compile(r"^[0-9]{29}$")
_UIN = re.compile(r"^[0-9]{6,32}$")
PAGE_SIZE = 50
DONE = ("decided", "requested")


def _desk(state) -> AdjudicationDesk | None:
    return None if state.backend is None else state.backend.adjudication_desk


@router.get("/adjudication")
def cases(view: Adjudicators, state: StateDep, page_no: int = 1, done: str = "") -> Response:
    desk = _desk(state)
    if desk is None:
        return render(view, "adjudication.html", no_backend=True, rows=[], total=0, page_no=1, pages=1)
    page_no = max(1, min(page_no, 10_000))
    rows, total = desk.pending(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    flashes = [("ok", view.t(f"adjudication.done.{done}"))] if done in DONE else []
    return render(
        view,
        "adjudication.html",
        rows=rows,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // PAGE_SIZE)),
        flashes=flashes,
    )


def _case_page(view: View, state, rid: str, *, error: str | None = None, status: int = 200) -> Response:
    desk = _desk(state)
    if desk is None or not _RID.match(rid):
        return render(
            view, "message.html", status=404, title_key="nav.adjudication", text_key="adjudication.no_case"
        )
    case = desk.case(rid, actor=view.user.username)
    if case is None:
        return render(
            view, "message.html", status=404, title_key="nav.adjudication", text_key="adjudication.no_case"
        )
    return render(
        view,
        "adjudication_case.html",
        status=status,
        case=case,
        max_request=MAX_REQUEST_CHARS,
        flashes=[("error", error)] if error else [],
    )


@router.get("/adjudication/{rid}")
def one_case(view: Adjudicators, state: StateDep, rid: str) -> Response:
    return _case_page(view, state, rid)


@router.post("/adjudication/{rid}/decide")
def decide(view: Adjudicators, state: StateDep, rid: str, form: PostedForm) -> Response:
    desk = _desk(state)
    choice = str(form.get("decision") or "")
    decision, _, uin = choice.partition(":")
    if desk is None or not _RID.match(rid) or (uin and not _UIN.match(uin)):
        return _case_page(view, state, rid, error=view.t("adjudication.bad_choice"), status=422)
    try:
        desk.decide(
            rid,
            decision=decision,
            uin=uin or None,
            actor=view.user.username,
            reason=str(form.get("reason") or ""),
        )
    except AdjudicationError as exc:
        return _case_page(view, state, rid, error=view.t(f"adjudication.error.{exc.code}"), status=422)
    return redirect(view, "/console/adjudication?done=decided")


@router.post("/adjudication/{rid}/request")
def request_information(view: Adjudicators, state: StateDep, rid: str, form: PostedForm) -> Response:
    desk = _desk(state)
    if desk is None or not _RID.match(rid):
        return _case_page(view, state, rid, error=view.t("adjudication.bad_choice"), status=422)
    try:
        desk.ask_for_more_information(rid, actor=view.user.username, request=str(form.get("request") or ""))
    except AdjudicationError as exc:
        return _case_page(view, state, rid, error=view.t(f"adjudication.error.{exc.code}"), status=422)
    return redirect(view, "/console/adjudication?done=requested")

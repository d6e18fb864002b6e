"""The public registration-status page for residents (no sign-in): ``GET /resident/status`` shows a
form asking for the RID and the date of birth, ``POST`` answers on the same page in plain words.

The form carries a CSRF token checked against a cookie (double submit, as the sign-in form): another
site cannot make visitors' browsers guess dates of birth for it. The rate limits, keys and words are
the status API's (``api.resident``, ``console.resident_text``), so the page and the API agree.

Routes are synchronous (run in the thread pool); the form is read by an async dependency first.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.api.deps import StateDep, client_address
from sync_server.api.resident import GuardDep, resident_keys
from sync_server.console.guard import AnyView, BadForm, checked_form
from sync_server.console.i18n import LANG_COOKIE, LANGUAGES
from sync_server.console.resident_text import ResidentAnswer, answer_for, answer_language, busy_message
from sync_server.console.web import View, is_https, render
from sync_server.services import resident_status
from sync_server.services.errors import BadInput, RateLimited
from sync_server.services.throttle import retry_after

router = APIRouter(prefix="/resident", include_in_schema=False)
PAGE = "/resident/status"
FORM_COOKIE = "openreg_resident_form"  # the form's CSRF token (double submit: residents have no session)
FORM_LIFETIME = dt.timedelta(hours=1)


async def _posted(request: Request) -> FormData | None:
    """The posted form when its token matches the cookie; None when it does not (an old tab)."""
    try:
        return await checked_form(request, request.cookies.get(FORM_COOKIE, ""))
    except BadForm:
        return None


def _field(form: FormData | None, name: str, limit: int) -> str:
    value = form.get(name) if form is not None else None
    return value[:limit] if isinstance(value, str) else ""


def _chosen_language(request: Request) -> str | None:
    """The language the visitor picked (``?lang=`` or the cookie that remembers it), if any."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return None


def _page(
    view: View,
    *,
    status: int = 200,
    answer: ResidentAnswer | None = None,
    error: str | None = None,  # text, already in the page's language
    error_title: str | None = None,
    rid: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    token = secrets.token_urlsafe(32)
    today = dt.date.today().isoformat()
    response = render(
        view,
        "resident_status.html",
        status=status,
        form_csrf=token,
        answer=answer,
        error=error,
        error_title=error_title,
        rid=rid,
        today=today,
    )
    response.set_cookie(
        FORM_COOKIE,
        token,
        max_age=int(FORM_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=is_https(view.request),
        path=PAGE,
    )
    response.headers.update(headers or {})
    return response


@router.get("/status")
def status_form(view: AnyView) -> Response:
    return _page(view)


@router.post("/status")
def status_answer(
    request: Request,
    view: AnyView,
    state: StateDep,
    guard: GuardDep,
    form: Annotated[FormData | None, Depends(_posted)],
) -> Response:
    """The answer for the posted RID and date of birth, or the form again with what went wrong:
    403 old form, 422 unreadable input, 429 too many checks, 404 not found (one page for an unknown
    RID and a wrong date alike), 503 no backend in this process."""
    typed_rid = _field(form, "rid", resident_status.MAX_RID_INPUT + 1).strip()
    try:
        guard.admit_address(client_address(request))
        if form is None:
            return _page(view, status=403, error=view.t("resident.expired"), rid=typed_rid)
        try:
            rid = resident_status.read_rid(typed_rid)
        except BadInput:
            return _page(view, status=422, error=view.t("resident.bad_rid"), rid=typed_rid)
        try:
            date_of_birth = resident_status.read_birth_date(
                _field(form, "date_of_birth", resident_status.MAX_DATE_INPUT + 1)
            )
        except BadInput:
            return _page(view, status=422, error=view.t("resident.bad_dob"), rid=typed_rid)
        guard.admit_rid(rid)
    except RateLimited as exc:
        wait = exc.retry_after or 60.0
        return _page(
            view,
            status=429,
            error_title=view.t("resident.busy_title"),
            error=busy_message(view.lang, wait),
            rid=typed_rid,
            headers=retry_after(wait),
        )
    if state.backend is None:  # this process runs no backend: the data keys are not here
        return _page(view, status=503, error=view.t("resident.unavailable"), rid=typed_rid)
    keys = resident_keys(state)
    status = resident_status.look_up_status(state.engine, keys=keys, rid=rid, date_of_birth=date_of_birth)
    if status is None:
        return _page(
            view,
            status=404,
            error_title=view.t("resident.not_found_title"),
            error=view.t("resident.not_found"),
            rid=typed_rid,
        )
    accept = request.headers.get("accept-language")
    lang = answer_language(chosen=_chosen_language(request), recorded=status.language, accept=accept)
    answer_view = View(request=request, lang=lang)
    return _page(answer_view, answer=answer_for(status, lang))

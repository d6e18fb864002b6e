"""Who is asking, for console pages: the session cookie, the page's roles and the form's CSRF token.

Dependencies (use them as route parameters):
- ``AnyView``: the language only (sign-in pages, which run before there is a user);
- ``page(key)``: a signed-in, fully verified user allowed on page ``key`` (access.PAGES), else a
  redirect to sign-in or the "no access" page;
- ``checked_form(view)``: the posted form, after its ``csrf`` field matched the session's token.
Refusals are exceptions (``SignInNeeded``, ``NoAccess``, ``BadForm``) that ``install_handlers`` turns
into pages, so a route body only runs for a caller who may run it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.datastructures import FormData

from sync_server.api.deps import StateDep
from sync_server.console.access import allowed
from sync_server.console.web import View, redirect, render, request_language
from sync_server.services import console_sessions
from sync_server.services.console_sessions import ConsoleUser, SessionPolicy
from sync_server.state import ServerState

SESSION_COOKIE = "openreg_console"
PARTIAL_HEADER = "x-console-partial"  # sent by console.js with data-refresh fetches
SIGN_IN = "/console/sign-in"
# where each unfinished stage continues
STAGE_PATHS = {
    "totp": "/console/sign-in/code",
    "enrol": "/console/sign-in/enrol",
    "change_password": "/console/sign-in/new-password",
}
# a session that has not finished signing in lives this long
PENDING_LIFETIME = dt.timedelta(minutes=10)


class SignInNeeded(Exception):
    def __init__(self, url: str = SIGN_IN) -> None:
        self.url = url


class NoAccess(Exception):
    def __init__(self, view: View) -> None:
        self.view = view


class BadForm(Exception):
    """The form's CSRF token is missing or wrong (an old tab, or a forged post)."""


def session_policy(state: ServerState, stage: str = "ready") -> SessionPolicy:
    settings = state.settings
    lifetime = dt.timedelta(hours=settings.console_session_hours)
    return SessionPolicy(
        idle=dt.timedelta(minutes=settings.console_idle_minutes),
        lifetime=lifetime if stage == "ready" else min(lifetime, PENDING_LIFETIME),
    )


def get_view(request: Request) -> View:
    return View(request=request, lang=request_language(request))


AnyView = Annotated[View, Depends(get_view)]


def session_user(request: Request, state: StateDep) -> ConsoleUser | None:
    """The user of the request's session cookie at whatever stage, or None. Its own short transaction:
    (lookup) a session found expired is deleted even when the request then fails."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 128:
        return None
    # console.js marks its automatic refreshes: they are not the user at work (idle timeout)
    refresh = PARTIAL_HEADER in request.headers
    return console_sessions.lookup(
        state.engine, session_id=cookie, policy=session_policy(state), activity=not refresh
    )


def _signed_in(view: AnyView, user: Annotated[ConsoleUser | None, Depends(session_user)]) -> View:
    if user is None:
        raise SignInNeeded()
    if user.stage != "ready":
        raise SignInNeeded(STAGE_PATHS[user.stage])
    view.user = user
    return view


SignedIn = Annotated[View, Depends(_signed_in)]


def page(key: str):
    """A dependency: the signed-in view when the user's roles reach page ``key``; NoAccess otherwise."""

    def check(view: SignedIn) -> View:
        if not allowed(key, view.user.roles):
            raise NoAccess(view)
        return view

    return Depends(check)


async def checked_form(request: Request, expected: str) -> FormData:
    """The posted form when its ``csrf`` field equals ``expected`` (compared in constant time)."""
    form = await request.form(max_files=1, max_fields=200)
    sent = form.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise BadForm()
    return form


async def _posted_form(
    request: Request, user: Annotated[ConsoleUser | None, Depends(session_user)]
) -> FormData:
    return await checked_form(request, user.csrf_token if user else "")


# The posted form of a signed-in user (any stage), its CSRF token checked.
PostedForm = Annotated[FormData, Depends(_posted_form)]


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        return redirect(get_view(request), exc.url)

    @app.exception_handler(NoAccess)
    async def _no_access(request: Request, exc: NoAccess):
        return render(
            exc.view, "message.html", status=403, title_key="access.denied", text_key="access.denied_text"
        )

    @app.exception_handler(BadForm)
    async def _bad_form(request: Request, exc: BadForm):
        view = get_view(request)
        return render(
            view, "message.html", status=403, title_key="form.expired", text_key="form.expired_text"
        )

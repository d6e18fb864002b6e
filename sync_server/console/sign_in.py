"""Signing in to the console: password (same user store, lockout and rate limit as the API), then the
second factor (a TOTP code, or enrolling one from a QR code the first time), then a new password when
an admin set a temporary one. Each step replaces the session id; wrong codes count toward lockout.

Routes run synchronously in the thread pool (password hashing blocks); the login guard's steps commit
their own short transactions in a session that has none open (``UnitOfWorkDep``).
"""

from __future__ import annotations

import secrets
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.api.deps import StateDep, UnitOfWorkDep, client_address, lockout_policy
from sync_server.console.guard import (
    PENDING_LIFETIME,
    SESSION_COOKIE,
    SIGN_IN,
    STAGE_PATHS,
    AnyView,
    PostedForm,
    SignInNeeded,
    checked_form,
    session_policy,
    session_user,
)
from sync_server.console.web import View, is_https, redirect, render
from sync_server.services import console_accounts, console_sessions
from sync_server.services.auth import check_password
from sync_server.services.console_sessions import ConsoleUser
from sync_server.services.errors import BadInput, DomainError
from sync_server.services.roles import console_roles
from sync_server.state import ServerState

router = APIRouter(prefix="/console", include_in_schema=False)
PRE_COOKIE = "openreg_console_pre"  # the sign-in form's CSRF token (double submit: no session yet)
HOME = "/console/"


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _set_session(view: View, response: Response, session_id: str, state: ServerState) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=state.settings.console_session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=is_https(view.request),
        path="/",
    )
    return response


def _pending(stage: str):
    """A dependency: the session's user when it is at ``stage``; elsewhere, to where it stands."""

    def check(view: AnyView, user: Annotated[ConsoleUser | None, Depends(session_user)]) -> View:
        if user is None or user.stage != stage:
            target = SIGN_IN if user is None else STAGE_PATHS.get(user.stage, HOME)
            raise SignInNeeded(target)
        view.user = user
        return view

    return Depends(check)


@router.get("/sign-in")
def sign_in_page(view: AnyView, user: Annotated[ConsoleUser | None, Depends(session_user)]) -> Response:
    if user is not None and user.stage == "ready":
        return redirect(view, HOME)
    return _sign_in_form(view, error=None)


def _sign_in_form(view: View, *, error: str | None, username: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(view, "sign_in.html", status=status, pre_csrf=token, error=error, username=username)
    response.set_cookie(
        PRE_COOKIE,
        token,
        max_age=int(PENDING_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=is_https(view.request),
        path="/console/sign-in",
    )
    return response


async def _sign_in_form_data(request: Request) -> FormData:
    return await checked_form(request, request.cookies.get(PRE_COOKIE, ""))


@router.post("/sign-in")
def sign_in(
    request: Request,
    view: AnyView,
    state: StateDep,
    session: UnitOfWorkDep,
    form: Annotated[FormData, Depends(_sign_in_form_data)],
) -> Response:
    username, password = _text(form, "username", 100).strip(), _text(form, "password", 256)
    if state.guards.rate_limits["login"].take(client_address(request)) is not None:
        return _sign_in_form(view, error="sign_in.busy", username=username, status=429)
    if not username or not password:
        return _sign_in_form(view, error="sign_in.bad", username=username, status=401)
    try:
        user = check_password(
            session, username=username, password=password, guards=state.guards, policy=lockout_policy(state)
        )
    except DomainError as exc:
        return _sign_in_form(view, error=_error_key(exc), username=username, status=401)
    if not console_roles(user.roles):  # a disabled user never gets past check_password
        return _sign_in_form(view, error="sign_in.no_console", username=username, status=403)
    with session.begin():
        stage = console_accounts.next_stage(session, username=username)
        session_id = console_sessions.open_session(
            session, username=username, stage=stage, policy=session_policy(state, stage)
        )
    response = redirect(view, STAGE_PATHS[stage])
    response.delete_cookie(PRE_COOKIE, path="/console/sign-in")
    return _set_session(view, response, session_id, state)


def _error_key(exc: DomainError) -> str:
    return {"account_locked": "sign_in.locked", "rate_limited": "sign_in.busy"}.get(
        exc.code.value, "sign_in.bad"
    )


@router.get("/sign-in/code")
def code_page(view: Annotated[View, _pending("totp")]) -> Response:
    return render(view, "sign_in_code.html", error=None)


@router.post("/sign-in/code")
def code_submit(
    request: Request,
    view: Annotated[View, _pending("totp")],
    form: PostedForm,
    state: StateDep,
    session: UnitOfWorkDep,
) -> Response:
    return _second_factor(
        request,
        view,
        state,
        session,
        code=_text(form, "code", 20),
        check=console_accounts.verify_code,
        retry=lambda error: render(view, "sign_in_code.html", status=401, error=error),
    )


@router.get("/sign-in/enrol")
def enrol_page(view: Annotated[View, _pending("enrol")], session: UnitOfWorkDep) -> Response:
    return _enrol_form(view, session, error=None)


def _enrol_form(view: View, session, *, error: str | None, status: int = 200) -> Response:
    with session.begin():
        secret = console_accounts.enrolment_secret(session, username=view.user.username)
    uri = console_accounts.provisioning_uri(secret, username=view.user.username)
    qr = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#111", light="#fff", title=view.t("enrol.qr_title")
    )
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(view, "sign_in_enrol.html", status=status, qr=qr, secret=grouped, error=error)


@router.post("/sign-in/enrol")
def enrol_submit(
    request: Request,
    view: Annotated[View, _pending("enrol")],
    form: PostedForm,
    state: StateDep,
    session: UnitOfWorkDep,
) -> Response:
    return _second_factor(
        request,
        view,
        state,
        session,
        code=_text(form, "code", 20),
        check=console_accounts.confirm_enrolment,
        retry=lambda error: _enrol_form(view, session, error=error, status=401),
    )


def _second_factor(request, view: View, state: ServerState, session, *, code: str, check, retry) -> Response:
    """A code counts as a login attempt: rate-limited per address like passwords, and a wrong one is a
    failure toward the second factor's lockout."""
    username = view.user.username
    if state.guards.rate_limits["login"].take(client_address(request)) is not None:
        return retry("sign_in.busy")
    try:
        ok = console_accounts.guarded_check(
            session, username=username, code=code, policy=lockout_policy(state), check=check
        )
    except DomainError:
        with session.begin():
            console_sessions.close(session, session_id=request.cookies.get(SESSION_COOKIE, ""))
        return _sign_in_form(view, error="sign_in.locked", status=403)
    if not ok:
        return retry("code.bad")
    with session.begin():
        stage = console_accounts.stage_after_totp(session, username=username)
        session_id = console_sessions.advance(
            session,
            session_id=request.cookies.get(SESSION_COOKIE, ""),
            username=username,
            stage=stage,
            policy=session_policy(state, stage),
        )
    return _set_session(view, redirect(view, STAGE_PATHS.get(stage, HOME)), session_id, state)


@router.get("/sign-in/new-password")
def new_password_page(view: Annotated[View, _pending("change_password")]) -> Response:
    return render(view, "sign_in_password.html", error=None)


@router.post("/sign-in/new-password")
def new_password_submit(
    request: Request,
    view: Annotated[View, _pending("change_password")],
    form: PostedForm,
    state: StateDep,
    session: UnitOfWorkDep,
) -> Response:
    new, again = _text(form, "password", 300), _text(form, "again", 300)
    if new != again:
        return render(view, "sign_in_password.html", status=422, error="password.mismatch")
    username = view.user.username
    try:
        password_hash = console_accounts.new_password_hash(new)
    except BadInput:
        return render(view, "sign_in_password.html", status=422, error="password.rules")
    with session.begin():
        console_accounts.set_password(
            session, username=username, password_hash=password_hash, actor=username, temporary=False
        )
        console_sessions.close_all(session, username=username)
        session_id = console_sessions.open_session(
            session, username=username, stage="ready", policy=session_policy(state)
        )
    return _set_session(view, redirect(view, HOME), session_id, state)


@router.post("/sign-out")
def sign_out(request: Request, view: AnyView, _form: PostedForm, session: UnitOfWorkDep) -> Response:
    with session.begin():
        console_sessions.close(session, session_id=request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(view, SIGN_IN)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

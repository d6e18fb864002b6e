"""The users page of the console (admins, and center admins for their centers): list and filter users,
create one, edit roles, name and centers, disable / enable, reset a password, re-enrol the second
factor. The rules live in ``services.console_users``; this module reads forms and shows results.

A temporary password (and a new supervisor's kiosk TOTP secret) is shown once, in the answer to the
POST that made it: never in a URL, never stored in clear.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from sync_server.api.deps import SessionDep, UnitOfWorkDep
from sync_server.api.errors import http_status
from sync_server.console.guard import PostedForm, page
from sync_server.console.web import View, redirect, render
from sync_server.services import console_accounts, console_users, user_directory
from sync_server.services.console_users import USER_ID_PATTERN, Actor, Issued, UserChanges
from sync_server.services.errors import DomainError, NotFound
from sync_server.services.roles import ALL_ROLES, KIOSK_ROLES
from sync_server.services.user_directory import UserFilter

router = APIRouter(prefix="/console", include_in_schema=False)
UsersView = Annotated[View, page("users")]
UserId = Annotated[str, Path(pattern=USER_ID_PATTERN, max_length=100)]
ROLES = sorted(ALL_ROLES)
DONE = ("saved", "disabled", "enabled", "totp_reset")
# a service refusal's detail starts with one of these: the words key that says it in the page's language
_ERRORS = (
    ("id: a user", "users.error.taken"),
    ("id:", "users.error.id"),
    ("name:", "users.error.name"),
    ("roles:", "users.error.roles"),
    ("center_ids: a center admin", "users.error.admin_centers"),
    ("center_id:", "users.error.center"),
    ("center_ids:", "users.error.center"),
    ("unknown center", "users.error.center"),
    ("you cannot disable", "users.error.self_disable"),
    ("you cannot remove", "users.error.self_admin"),
    ("a center admin cannot grant", "users.error.grant"),
    ("a center admin assigns", "users.error.scope"),
    ("a center admin cannot change", "users.error.scope"),
)


def _actor(view: View) -> Actor:
    user = view.user
    return Actor(username=user.username, roles=user.roles, centers=user.centers)


def _grantable(view: View) -> list[str]:
    actor = _actor(view)
    return [r for r in ROLES if actor.centers is None or r in KIOSK_ROLES]


def _error_text(view: View, exc: DomainError) -> str:
    key = next((k for prefix, k in _ERRORS if exc.detail.startswith(prefix)), None)
    return view.t(key) if key else view.t("users.error.other", detail=exc.detail)


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _list(form: FormData, name: str, limit: int) -> list[str]:
    return [v[:100] for v in form.getlist(name)[:limit] if isinstance(v, str) and v]


@router.get("/users")
def users_page(
    view: UsersView,
    session: SessionDep,
    role: Annotated[str, Query(max_length=30)] = "",
    center: Annotated[str, Query(max_length=5)] = "",
    active: Annotated[str, Query(max_length=3)] = "",
    q: Annotated[str, Query(max_length=user_directory.MAX_SEARCH)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    actor = _actor(view)
    where = UserFilter(
        role=role if role in ALL_ROLES else None,
        center_id=center if center.isdigit() else None,
        active={"yes": True, "no": False}.get(active),
        text=q,
    )
    listing = user_directory.list_users(session, actor=actor, where=where, page=page_no)
    filters = {"role": role, "center": center, "active": active, "q": q}
    kept = {k: v for k, v in filters.items() if v}
    flashes = [("ok", view.t(f"users.done.{done}"))] if done in DONE else []
    return render(
        view,
        "users.html",
        listing=listing,
        filters=filters,
        roles=ROLES,
        centers=console_users.list_centers(session, actor=actor),
        prev_url=f"/console/users?{urlencode({**kept, 'page': listing.page - 1})}"
        if listing.page > 1
        else None,
        next_url=f"/console/users?{urlencode({**kept, 'page': listing.page + 1})}"
        if listing.has_next
        else None,
        flashes=flashes,
    )


def _form_page(
    view: View,
    session: SessionDep,
    *,
    user=None,
    values: dict | None = None,
    error: str | None = None,
    status: int = 200,
    flashes: list | None = None,
) -> Response:
    if values is None:
        values = {"id": "", "name": "", "roles": [], "center_id": "", "center_ids": []}
        if user is not None:
            values = {
                "id": user.id,
                "name": user.name,
                "roles": user.roles,
                "center_id": user.center_id or "",
                "center_ids": user.center_ids,
            }
    return render(
        view,
        "users_form.html",
        status=status,
        target=user,
        values=values,
        roles=_grantable(view),
        centers=console_users.list_centers(session, actor=_actor(view)),
        flashes=(flashes or []) + ([("error", error)] if error else []),
    )


def _posted_values(form: FormData) -> dict:
    return {
        "id": _text(form, "id", 200),  # longer than allowed: refused, not cut
        "name": _text(form, "name", 100),
        "roles": _list(form, "roles", len(ROLES)),
        "center_id": _text(form, "center_id", 5),
        "center_ids": _list(form, "center_ids", console_users.MAX_CENTERS),
    }


@router.get("/users/new")
def new_user_page(view: UsersView, session: SessionDep) -> Response:
    return _form_page(view, session)


@router.post("/users/new")
def create_user(view: UsersView, form: PostedForm, session: UnitOfWorkDep) -> Response:
    values = _posted_values(form)
    password = console_users.temporary_password()
    password_hash = console_accounts.new_password_hash(password)  # slow: before the transaction
    try:
        with session.begin():
            issued = console_users.create_user(
                session,
                actor=_actor(view),
                user_id=values["id"],
                name=values["name"],
                roles=values["roles"],
                center_id=values["center_id"] or None,
                center_ids=values["center_ids"],
                password=password,
                password_hash=password_hash,
            )
    except DomainError as exc:
        with session.begin():
            return _form_page(
                view, session, values=values, error=_error_text(view, exc), status=http_status(exc)
            )
    return _issued(view, issued, created=True)


def _issued(view: View, issued: Issued, *, created: bool = False) -> Response:
    secret = issued.kiosk_totp_secret
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None
    return render(view, "users_issued.html", issued=issued, created=created, kiosk_secret=grouped)


@router.get("/users/{user_id}")
def user_page(user_id: UserId, view: UsersView, session: SessionDep, done: str = "") -> Response:
    try:
        user = console_users.get_user(session, actor=_actor(view), user_id=user_id)
    except NotFound:
        return render(
            view, "message.html", status=404, title_key="users.missing", text_key="users.missing_text"
        )
    flashes = [("ok", view.t(f"users.done.{done}"))] if done in DONE else []
    return _form_page(view, session, user=user, flashes=flashes)


def _refused(view: View, session: SessionDep, user_id: str, exc: DomainError, values: dict | None = None):
    """The user's page again with the refusal (nothing was changed: the transaction rolled back)."""
    status = http_status(exc)
    with session.begin():
        try:
            user = console_users.get_user(session, actor=_actor(view), user_id=user_id)
        except NotFound:
            return render(
                view, "message.html", status=404, title_key="users.missing", text_key="users.missing_text"
            )
        return _form_page(
            view, session, user=user, values=values, error=_error_text(view, exc), status=status
        )


@router.post("/users/{user_id}")
def save_user(user_id: UserId, view: UsersView, form: PostedForm, session: UnitOfWorkDep) -> Response:
    values = {**_posted_values(form), "id": user_id}
    changes = UserChanges(
        name=values["name"],
        roles=values["roles"],
        center_id=values["center_id"],  # "" when "no center" is chosen: the user moves to head office
        center_ids=values["center_ids"],
    )
    try:
        with session.begin():
            issued = console_users.update_user(session, actor=_actor(view), user_id=user_id, changes=changes)
    except DomainError as exc:
        return _refused(view, session, user_id, exc, values)
    if issued.kiosk_totp_secret:
        return _issued(view, issued)
    return redirect(view, f"/console/users/{user_id}?done=saved")


def _act(view: View, session: SessionDep, user_id: str, action, done: str) -> Response:
    try:
        with session.begin():
            action(session, actor=_actor(view), user_id=user_id)
    except DomainError as exc:
        return _refused(view, session, user_id, exc)
    return redirect(view, f"/console/users/{user_id}?done={done}")


@router.post("/users/{user_id}/disable")
def disable_user(user_id: UserId, view: UsersView, _form: PostedForm, session: UnitOfWorkDep) -> Response:
    return _act(view, session, user_id, _active(False), "disabled")


@router.post("/users/{user_id}/enable")
def enable_user(user_id: UserId, view: UsersView, _form: PostedForm, session: UnitOfWorkDep) -> Response:
    return _act(view, session, user_id, _active(True), "enabled")


def _active(active: bool):
    def act(session, *, actor: Actor, user_id: str) -> None:
        console_users.set_active(session, actor=actor, user_id=user_id, active=active)

    return act


@router.post("/users/{user_id}/reset-totp")
def reset_totp(user_id: UserId, view: UsersView, _form: PostedForm, session: UnitOfWorkDep) -> Response:
    return _act(view, session, user_id, console_users.reset_totp, "totp_reset")


@router.post("/users/{user_id}/reset-password")
def reset_password(user_id: UserId, view: UsersView, _form: PostedForm, session: UnitOfWorkDep) -> Response:
    actor = _actor(view)
    try:
        with session.begin():
            console_users.check_may_manage(session, actor=actor, user_id=user_id)
        password = console_users.temporary_password()
        password_hash = console_accounts.new_password_hash(password)
        with session.begin():
            issued = console_users.reset_password(
                session, actor=actor, user_id=user_id, password=password, password_hash=password_hash
            )
    except DomainError as exc:
        return _refused(view, session, user_id, exc)
    return _issued(view, issued)

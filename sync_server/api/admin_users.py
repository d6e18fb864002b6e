"""Admin API routes behind the console's users page: create, edit, disable / enable, reset a password,
re-enrol the console's second factor. Admins and center admins (within their centers) may call them;
the rules are the service's (``services.console_users``), the same as the console page's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from shared.sync import ErrorBody
from sync_server.api.deps import UnitOfWorkDep, user_with
from sync_server.services import console_accounts, console_users
from sync_server.services.auth import Principal
from sync_server.services.console_users import (
    CENTER_ID_PATTERN,
    MAX_CENTERS,
    NAME_PATTERN,
    USER_ID_PATTERN,
    Actor,
    UserChanges,
)
from sync_server.services.roles import ADMIN, ALL_ROLES, CENTER_ADMIN

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}
UserAdminDep = Annotated[Principal, user_with(ADMIN, CENTER_ADMIN)]
UserIdPath = Annotated[str, Path(pattern=USER_ID_PATTERN, max_length=100)]
# every role a user row may hold (services.roles): the schema lists them, and a new role needs no edit here
Role = Literal[tuple(sorted(ALL_ROLES))]  # type: ignore[valid-type]
CenterId = Annotated[str, Field(pattern=CENTER_ID_PATTERN)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Body):
    id: str = Field(pattern=USER_ID_PATTERN, max_length=100, description="letters, digits, '.', '_', '-'")
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    roles: list[Role] = Field(min_length=1, max_length=len(ALL_ROLES))
    center_id: CenterId | None = Field(default=None, description="required for kiosk users")
    center_ids: list[CenterId] = Field(
        default_factory=list, max_length=MAX_CENTERS, description="a center admin's centers"
    )


class UserUpdate(_Body):
    """Fields left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NAME_PATTERN)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=len(ALL_ROLES))
    center_id: CenterId | None = None
    center_ids: list[CenterId] | None = Field(default=None, max_length=MAX_CENTERS)


class UserDetail(_Body):
    id: str
    name: str
    roles: list[str]
    center_id: str | None = None
    center_ids: list[str] = Field(default_factory=list)
    active: bool = True


class UserIssued(_Body):
    """A user with what the server made up for them, shown this once and never stored in clear:
    ``temporary_password`` (changed at the next console sign-in; kiosks have no change-password step)
    and, for supervisors, ``kiosk_totp_secret`` (base32, for their authenticator app)."""

    user: UserDetail
    temporary_password: str | None = None
    kiosk_totp_secret: str | None = None


def _actor(session: Session, principal: Principal) -> Actor:
    with session.begin():
        return console_users.actor_of(session, username=principal.subject)


def _detail(session: Session, actor: Actor, user_id: str) -> UserDetail:
    with session.begin():
        user = console_users.get_user(session, actor=actor, user_id=user_id)
    return UserDetail(
        id=user.id,
        name=user.name,
        roles=user.roles,
        center_id=user.center_id,
        center_ids=user.center_ids,
        active=user.active,
    )


@router.post("/users", responses=_ERRORS, status_code=201)
def create_user(body: UserCreate, principal: UserAdminDep, session: UnitOfWorkDep) -> UserIssued:
    """Add a user with a one-time temporary password (returned here only)."""
    actor = _actor(session, principal)
    password = console_users.temporary_password()
    password_hash = console_accounts.new_password_hash(password)  # slow: before the transaction
    with session.begin():
        issued = console_users.create_user(
            session,
            actor=actor,
            user_id=body.id,
            name=body.name,
            roles=list(body.roles),
            center_id=body.center_id,
            center_ids=body.center_ids,
            password=password,
            password_hash=password_hash,
        )
    return UserIssued(
        user=_detail(session, actor, body.id),
        temporary_password=issued.password,
        kiosk_totp_secret=issued.kiosk_totp_secret,
    )


@router.patch("/users/{user_id}", responses=_ERRORS)
def update_user(
    user_id: UserIdPath, body: UserUpdate, principal: UserAdminDep, session: UnitOfWorkDep
) -> UserIssued:
    """Change name, roles or centers. A user who becomes a supervisor gets a kiosk TOTP secret."""
    actor = _actor(session, principal)
    changes = UserChanges(
        name=body.name,
        roles=list(body.roles) if body.roles is not None else None,
        center_id=body.center_id,
        center_ids=body.center_ids,
    )
    with session.begin():
        issued = console_users.update_user(session, actor=actor, user_id=user_id, changes=changes)
    return UserIssued(user=_detail(session, actor, user_id), kiosk_totp_secret=issued.kiosk_totp_secret)


def _set_active(session: Session, principal: Principal, user_id: str, active: bool) -> UserDetail:
    actor = _actor(session, principal)
    with session.begin():
        console_users.set_active(session, actor=actor, user_id=user_id, active=active)
    return _detail(session, actor, user_id)


@router.post("/users/{user_id}/disable", responses=_ERRORS)
def disable_user(user_id: UserIdPath, principal: UserAdminDep, session: UnitOfWorkDep) -> UserDetail:
    """Disable a user: tokens and console sessions stop at once, kiosks drop them on their next sync."""
    return _set_active(session, principal, user_id, False)


@router.post("/users/{user_id}/enable", responses=_ERRORS)
def enable_user(user_id: UserIdPath, principal: UserAdminDep, session: UnitOfWorkDep) -> UserDetail:
    return _set_active(session, principal, user_id, True)


@router.post("/users/{user_id}/reset-password", responses=_ERRORS)
def reset_password(user_id: UserIdPath, principal: UserAdminDep, session: UnitOfWorkDep) -> UserIssued:
    """A new one-time temporary password (returned here only); the user's console sessions end."""
    actor = _actor(session, principal)
    with session.begin():
        console_users.check_may_manage(session, actor=actor, user_id=user_id)
    password = console_users.temporary_password()
    password_hash = console_accounts.new_password_hash(password)
    with session.begin():
        console_users.reset_password(
            session, actor=actor, user_id=user_id, password=password, password_hash=password_hash
        )
    return UserIssued(user=_detail(session, actor, user_id), temporary_password=password)


@router.post("/users/{user_id}/reset-totp", responses=_ERRORS)
def reset_totp(user_id: UserIdPath, principal: UserAdminDep, session: UnitOfWorkDep) -> UserDetail:
    """Forget the user's console second factor: they enrol a new one at their next sign-in."""
    actor = _actor(session, principal)
    with session.begin():
        console_users.reset_totp(session, actor=actor, user_id=user_id)
    return _detail(session, actor, user_id)

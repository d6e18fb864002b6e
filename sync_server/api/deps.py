"""FastAPI dependencies as Annotated aliases (SessionDep, UnitOfWorkDep, MachineDep, AdminDep, StateDep) and
the role checks (user_with) the admin routes share.

FastAPI runs a plain ``def`` dependency on a worker thread: a hop there and back on every request
(profiled: a quarter of the event loop's time during packet uploads went to such hops). So what does no
I/O is ``async def`` and runs on the loop; what touches the database stays ``def``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from shared.sync import ErrorCode
from sync_server.errors import ApiError
from sync_server.services.auth import Principal, authenticate
from sync_server.services.login_guard import LockoutPolicy
from sync_server.services.roles import ADMIN
from sync_server.services.throttle import retry_after
from sync_server.state import ServerState

_bearer = HTTPBearer(auto_error=False)


async def get_state(request: Request) -> ServerState:
    return request.app.state.server


StateDep = Annotated[ServerState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session whose transaction commits when the route returns normally, else rolls back."""
    with Session(state.engine) as session, session.begin():
        yield session


# scope="function": commit before the response is sent. With the default request scope FastAPI
# commits after sending, so a client could use what it was just told (a challenge, a registered
# packet) before the row exists.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_unit_of_work(state: StateDep) -> AsyncIterator[Session]:
    """One session for the whole request, no transaction open: for services that commit in steps (the
    packet upload records each disk change right after making it). Whatever they leave uncommitted is
    rolled back when the route returns. Used by one thread at a time (dependency, route, threadpool).
    Opening it does no I/O (the first statement takes a connection), so it opens on the event loop;
    closing gives the connection back to the pool (a rollback), on a worker thread."""
    session = Session(state.engine)
    try:
        yield session
    finally:
        with anyio.CancelScope(shield=True):  # a cancelled request still gives its connection back
            await run_in_threadpool(session.close)


# Shared by the token check (get_principal) and the route: one session per request.
UnitOfWorkDep = Annotated[Session, Depends(get_unit_of_work, scope="function")]


def get_principal(
    session: UnitOfWorkDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            ErrorCode.unauthenticated,
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with session.begin():
        return authenticate(session, token=credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_machine(principal: PrincipalDep) -> Principal:
    if principal.kind != "machine":
        raise ApiError(403, ErrorCode.forbidden, "this endpoint needs a machine token")
    return principal


def user_checker(*roles: str) -> Callable[..., Principal]:
    """A dependency function: the user principal when it holds one of ``roles`` (services.roles), else
    403. The console's pages check the same role sets (console.access.PAGES)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.kind != "user" or set(principal.roles).isdisjoint(roles):
            raise ApiError(
                403, ErrorCode.forbidden, f"this endpoint needs a user token with a role of {sorted(roles)}"
            )
        return principal

    return check


def user_with(*roles: str) -> Any:
    """``Depends(user_checker(*roles))``: use as ``Annotated[Principal, user_with(...)]``."""
    return Depends(user_checker(*roles))


def user_name_with(*roles: str) -> Callable[..., str]:
    """A dependency function returning the name of a user holding one of ``roles`` (the audit actor)."""
    check = user_checker(*roles)

    # a default, not Annotated: the annotation is a string here and ``check`` is local to this call
    async def name(principal: Principal = Depends(check)) -> str:
        return principal.subject

    return name


def get_backend(state: StateDep) -> Any:
    if state.backend is None:
        raise ApiError(503, ErrorCode.backend_unavailable, "this server process runs no processing backend")
    return state.backend


MachineDep = Annotated[Principal, Depends(get_machine)]
AdminDep = Annotated[Principal, user_with(ADMIN)]


def client_address(request: Request) -> str:
    """The client's address as the server sees it (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def lockout_policy(state: ServerState) -> LockoutPolicy:
    """The account lockout the settings ask for (API logins and console sign-ins alike)."""
    settings = state.settings
    return LockoutPolicy(
        max_failures=settings.login_max_failures, lockout=dt.timedelta(seconds=settings.login_lockout_s)
    )


def check_rate(state: ServerState, *, kind: str, address: str) -> None:
    """Spend one of ``address``'s ``kind`` tokens; 429 rate_limited with Retry-After when none is left."""
    wait = state.guards.rate_limits[kind].take(address)
    if wait is not None:
        raise ApiError(
            429,
            ErrorCode.rate_limited,
            f"too many {kind} requests from this address; retry in {max(1, round(wait))} s",
            headers=retry_after(wait),
        )


def _rate_limited(kind: str) -> Any:
    def check(request: Request, state: StateDep) -> None:
        check_rate(state, kind=kind, address=client_address(request))

    return Depends(check)


# Per-address token buckets (settings.*_rate_per_minute); enrolment counts only new enrolments, in
# the service, so a kiosk polling for its approval is never refused.
LoginRateLimit = _rate_limited("login")
ChallengeRateLimit = _rate_limited("challenge")

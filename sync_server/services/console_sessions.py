"""Web-console sign-ins: random session ids kept hashed in the database (any server process can check
them), a CSRF token per session, an idle timeout and an absolute lifetime.

A session starts at the stage its password check leads to (``totp``, ``enrol`` or ``change_password``)
and only a ``ready`` one reaches the pages; each step up replaces the session id (no fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from sync_server.db.tables import ConsoleSessionRow, CurrentRow
from sync_server.services.auth import revoke_user_tokens
from sync_server.services.clock import aware, utcnow
from sync_server.services.roles import center_scope, console_roles

STAGES = ("totp", "enrol", "change_password", "ready")
# last_seen_at is written at most this often: a page and its refreshes need not each write a row.
_TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class ConsoleUser:
    """Who a live console session belongs to, read fresh from master data on every request."""

    username: str
    name: str
    roles: frozenset[str]
    centers: frozenset[str] | None  # None: every center
    csrf_token: str
    stage: str


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta
    lifetime: dt.timedelta


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(session: Session, *, username: str, stage: str, policy: SessionPolicy) -> str:
    """A new session id (the cookie value) for ``username`` at ``stage``; expired sessions are swept."""
    assert stage in STAGES
    now = utcnow()
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))
    session_id = secrets.token_urlsafe(32)
    session.add(
        ConsoleSessionRow(
            id_hash=_hash(session_id),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            stage=stage,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
        )
    )
    return session_id


def resolve(
    session: Session, *, session_id: str, policy: SessionPolicy, activity: bool = True
) -> ConsoleUser | None:
    """The user of a live session, or None (unknown, idle too long, past its lifetime, user disabled,
    deleted or left without a console role: the session is then deleted). ``activity=False`` (a page
    refreshing itself) does not count as use: an open dashboard alone never keeps a session alive."""
    row = session.get(ConsoleSessionRow, _hash(session_id))
    if row is None:
        return None
    now = utcnow()
    user = session.get(CurrentRow, ("users", row.username))
    data = user.data if user is not None else {}
    roles = console_roles(r for r in data.get("roles", []) if isinstance(r, str))
    if (
        aware(row.expires_at) < now
        or aware(row.last_seen_at) + policy.idle < now
        or user is None
        or data.get("active", True) is False
        or not roles
    ):
        session.delete(row)
        return None
    if activity and now - aware(row.last_seen_at) > _TOUCH_EVERY:
        row.last_seen_at = now
    return ConsoleUser(
        username=row.username,
        name=str(data.get("name") or row.username),
        roles=roles,
        centers=center_scope(roles, user.center_id, data),
        csrf_token=row.csrf_token,
        stage=row.stage,
    )


def lookup(
    engine: Engine, *, session_id: str, policy: SessionPolicy, activity: bool = True
) -> ConsoleUser | None:
    """:func:`resolve` in its own transaction, committed whatever the caller does next."""
    with Session(engine) as session, session.begin():
        return resolve(session, session_id=session_id, policy=policy, activity=activity)


def close(session: Session, *, session_id: str) -> None:
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == _hash(session_id)))


def close_all(session: Session, *, username: str) -> None:
    """End every sign-in of a user (password reset, TOTP reset, disabled): console sessions and API
    tokens alike."""
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.username == username))
    revoke_user_tokens(session, username=username)


def advance(session: Session, *, session_id: str, username: str, stage: str, policy: SessionPolicy) -> str:
    """Replace a session by a new one at ``stage`` (new id: an id seen before a step never works after)."""
    close(session, session_id=session_id)
    return open_session(session, username=username, stage=stage, policy=policy)

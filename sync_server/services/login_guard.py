"""Per-account login lockout, kept in the database so it holds across restarts and server processes.

Every attempt is counted *before* the password is checked (one atomic UPDATE ... RETURNING, or an INSERT
for the first failure), so parallel guesses from several processes cannot slip past the limit. A success
deletes the row. ``max_failures`` failures within ``lockout`` lock the name for ``lockout``; after that
the count starts again. Unknown user names are counted too: a lockout says nothing about who exists.
Each function runs its own transaction in the caller's session (which has none open)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.sync import ErrorCode
from sync_server.db.tables import LoginAttemptRow
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import Busy, Forbidden

_T = LoginAttemptRow


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    lockout: dt.timedelta


def _locked(until: dt.datetime) -> Forbidden:
    wait = (aware(until) - utcnow()).total_seconds()
    return Forbidden(
        ErrorCode.account_locked,
        f"too many failed logins: this account is locked for {max(1, round(wait / 60))} more minute(s)",
        retry_after=wait,
    )


def refuse_if_locked(session: Session, *, username: str) -> None:
    """Cheap check before any hashing: raise account_locked while a lock runs."""
    with session.begin():
        until = session.scalar(select(_T.locked_until).where(_T.username == username))
    if until is not None and aware(until) > utcnow():
        raise _locked(until)


def reserve_attempt(session: Session, *, username: str, policy: LockoutPolicy) -> int:
    """Count this attempt as a failure until proven otherwise; return the count in the current window.
    Raise account_locked when the name is locked or the attempt is over the limit (then lock it)."""
    for _ in range(5):
        now = utcnow()
        # A fresh window when the old failures are older than the window or a lock has run out.
        stale = or_(
            _T.first_failure_at < now - policy.lockout,
            and_(_T.locked_until.is_not(None), _T.locked_until <= now),
        )
        try:
            with session.begin():
                row = session.execute(
                    update(_T)
                    .where(_T.username == username)
                    .values(
                        failures=case((stale, 1), else_=_T.failures + 1),
                        first_failure_at=case((stale, now), else_=_T.first_failure_at),
                        locked_until=case((stale, None), else_=_T.locked_until),
                    )
                    .returning(_T.failures, _T.locked_until)
                ).one_or_none()
                if row is None:
                    session.execute(insert(_T).values(username=username, failures=1, first_failure_at=now))
                    failures, until = 1, None
                else:
                    failures, until = row
                    if (until is None or aware(until) <= now) and failures > policy.max_failures:
                        # parallel attempts raced past the last allowed one: lock now
                        until = now + policy.lockout
                        session.execute(update(_T).where(_T.username == username).values(locked_until=until))
        except IntegrityError:  # another process inserted the first failure at the same moment
            continue
        if until is not None and aware(until) > now:
            raise _locked(until)
        return failures
    raise Busy(ErrorCode.rate_limited, "login is busy; try again", retry_after=1)


def record_failure(session: Session, *, username: str, failures: int, policy: LockoutPolicy) -> None:
    """The reserved attempt failed: lock the name when it was the last allowed one; drop stale rows."""
    now = utcnow()
    with session.begin():
        if failures >= policy.max_failures:
            session.execute(
                update(_T).where(_T.username == username).values(locked_until=now + policy.lockout)
            )
        # Rows of names nobody tried for a whole window (typos, sprayed names) are of no further use.
        session.execute(
            delete(_T).where(
                _T.first_failure_at < now - policy.lockout,
                or_(_T.locked_until.is_(None), _T.locked_until < now),
            )
        )


def clear_failures(session: Session, *, username: str) -> None:
    """A successful login forgets the failures (in the caller's transaction)."""
    session.execute(delete(_T).where(_T.username == username))

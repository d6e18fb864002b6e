"""What the console adds to a user: a TOTP second factor (enrolled through a QR code, kept on the
server only) and temporary passwords that must be changed at the next sign-in.

Passwords stay in master data (``users.password_hash``), so a change made here reaches the kiosks
through the change log like any import, and is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from shared.sync import ErrorCode
from sync_server.db.tables import ConsoleAccountRow, CurrentRow
from sync_server.services import login_guard
from sync_server.services.audit import append_audit
from sync_server.services.auth import hash_password
from sync_server.services.clock import utcnow
from sync_server.services.errors import BadInput, NotFound
from sync_server.services.login_guard import LockoutPolicy
from sync_server.services.masterdata import append_changes, lock_log

ISSUER = "OpenReg console"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def _account(session: Session, username: str) -> ConsoleAccountRow:
    row = session.get(ConsoleAccountRow, username)
    if row is None:
        row = ConsoleAccountRow(username=username, must_change_password=False)
        session.add(row)
    return row


def next_stage(session: Session, *, username: str) -> str:
    """Where a user goes after a right password: ``totp`` (enrolled), ``enrol`` (no second factor yet)."""
    row = session.get(ConsoleAccountRow, username)
    return "totp" if row is not None and row.totp_secret else "enrol"


def stage_after_totp(session: Session, *, username: str) -> str:
    row = session.get(ConsoleAccountRow, username)
    return "change_password" if row is not None and row.must_change_password else "ready"


def enrolment_secret(session: Session, *, username: str) -> str:
    """The secret being enrolled (made on first ask, the same on every reload until confirmed)."""
    row = _account(session, username)
    if not row.pending_totp_secret:
        row.pending_totp_secret = pyotp.random_base32()
    return row.pending_totp_secret


def provisioning_uri(secret: str, *, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _accept(session: Session, row: ConsoleAccountRow, secret: str, code: str) -> bool:
    """Whether ``code`` is right for now (±1 step) and newer than the last accepted one. The step is
    claimed with a conditional UPDATE, so two requests racing with one code cannot both pass."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    now = time.time()
    for drift in (-1, 0, 1):
        at = now + drift * totp.interval
        step = totp.timecode(dt.datetime.fromtimestamp(at, dt.UTC))
        if totp.verify(code, for_time=at, valid_window=0):
            session.flush()
            claimed = session.execute(
                update(ConsoleAccountRow)
                .where(
                    ConsoleAccountRow.username == row.username,
                    or_(ConsoleAccountRow.totp_last_step.is_(None), ConsoleAccountRow.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.refresh(row)
            return claimed == 1
    return False


def confirm_enrolment(session: Session, *, username: str, code: str) -> bool:
    """Make the pending secret the user's second factor when ``code`` matches it."""
    row = _account(session, username)
    if not row.pending_totp_secret or not _accept(session, row, row.pending_totp_secret, code):
        return False
    row.totp_secret, row.pending_totp_secret = row.pending_totp_secret, None
    row.totp_confirmed_at = utcnow()
    append_audit(session, actor=username, action="console.totp_enrolled", target=username, details={})
    return True


def has_second_factor(session: Session, *, username: str) -> bool:
    row = session.get(ConsoleAccountRow, username)
    return bool(row is not None and row.totp_secret)


def guarded_check(
    session: Session, *, username: str, code: str, policy: LockoutPolicy, check: Callable[..., bool]
) -> bool:
    """``check(session, username=, code=)`` counted as a second-factor attempt: wrong codes lock the
    second factor as wrong passwords lock the password, on a counter of its own (a right password
    must not reset the count of wrong codes). Raises Forbidden (account_locked) while locked. Each
    step commits its own transaction in ``session``, which has none open."""
    key = second_factor_key(username)
    failures = login_guard.reserve_attempt(session, username=key, policy=policy)
    with session.begin():
        ok = check(session, username=username, code=code)
    if not ok:
        login_guard.record_failure(session, username=key, failures=failures, policy=policy)
        return False
    with session.begin():
        login_guard.clear_failures(session, username=key)
    return True


def second_factor_key(username: str) -> str:
    """The login guard's key for a user's second factor (fits its 100-character column)."""
    return "totp:" + hashlib.sha256(username.encode()).hexdigest()[:40]


def verify_code(session: Session, *, username: str, code: str) -> bool:
    row = session.get(ConsoleAccountRow, username)
    return bool(row is not None and row.totp_secret and _accept(session, row, row.totp_secret, code))


def reset_totp(session: Session, *, username: str, actor: str) -> None:
    """Forget a user's second factor: they enrol a new one at their next sign-in."""
    _user_row(session, username)
    row = _account(session, username)
    row.totp_secret = row.pending_totp_secret = None
    row.totp_confirmed_at = row.totp_last_step = None
    append_audit(session, actor=actor, action="console.totp_reset", target=username, details={})


def _user_row(session: Session, username: str) -> CurrentRow:
    row = session.get(CurrentRow, ("users", username))
    if row is None:
        raise NotFound(ErrorCode.not_found, f"no user {username!r}")
    return row


def new_password_hash(password: str) -> str:
    """The argon2id hash of a new password that keeps the rules (BadInput otherwise). Hash before
    opening the transaction that stores it: hashing takes a while and the change log is locked then."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadInput(
            ErrorCode.validation_error,
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
        )
    return hash_password(password)


def set_password(session: Session, *, username: str, password_hash: str, actor: str, temporary: bool) -> None:
    """Store a new password hash in master data (kiosks get it by sync). ``temporary``: an admin's
    reset, which the user must change at their next console sign-in."""
    lock_log(session)  # read the row under the lock its write takes: no concurrent change is undone
    user = _user_row(session, username)
    append_changes(session, upserts=[("users", {**user.data, "password_hash": password_hash})], deletes=[])
    _account(session, username).must_change_password = temporary
    action = "users.password_reset" if temporary else "users.password_changed"
    append_audit(session, actor=actor, action=action, target=username, details={})

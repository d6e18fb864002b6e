"""Challenges, machine tokens and user logins. Tokens are random, stored hashed, short-lived."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.signing import SignatureError, verify_b64
from shared.sync import ErrorCode, MachineStatus, TokenResponse
from sync_server.db.tables import ChallengeRow, CurrentRow, MachineRow, TokenRow
from sync_server.services import login_guard
from sync_server.services.clock import aware, utcnow
from sync_server.services.errors import DomainError, Forbidden, NotAuthenticated, RateLimited, TokenRefused
from sync_server.services.login_guard import LockoutPolicy
from sync_server.services.roles import center_scope
from sync_server.services.throttle import Guards

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash of a random password, verified against when the user does not exist (same timing).
    Made at the first password check, known name or not, rather than at import (0.14 s of every
    start and every ``openreg`` command)."""
    return _hasher.hash(secrets.token_hex(8))


@dataclass(frozen=True)
class Principal:
    kind: str  # machine | user
    subject: str
    roles: list[str]
    center_id: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def machine_refusal(row: MachineRow | None, machine_id: str) -> DomainError | None:
    """Why a machine may not act (unknown, pending, rejected, revoked), or None when it may."""
    if row is None:
        return NotAuthenticated(ErrorCode.machine_unknown, f"machine {machine_id} is not enrolled")
    codes = {
        MachineStatus.pending.value: (
            ErrorCode.machine_pending,
            "is waiting for an administrator's approval",
        ),
        MachineStatus.rejected.value: (ErrorCode.machine_rejected, "was rejected by an administrator"),
        MachineStatus.revoked.value: (ErrorCode.machine_revoked, "has been revoked"),
    }
    if row.status in codes:
        code, why = codes[row.status]
        return Forbidden(code, f"machine {machine_id} {why}")
    return None


def issue_challenge(session: Session, *, machine_id: str, ttl_s: int, keep: int = 5) -> ChallengeRow:
    """A fresh single-use challenge. Expired challenges are deleted here, and only the ``keep`` newest of
    a machine id stay valid, so a flood cannot grow the table (ids need not be enrolled: no oracle)."""
    now = utcnow()
    session.execute(delete(ChallengeRow).where(ChallengeRow.expires_at < now))
    older = (
        select(ChallengeRow.challenge)
        .where(ChallengeRow.machine_id == machine_id)
        .order_by(ChallengeRow.expires_at.desc(), ChallengeRow.challenge)
        .offset(keep - 1)
    )
    session.execute(delete(ChallengeRow).where(ChallengeRow.challenge.in_(list(session.scalars(older)))))
    row = ChallengeRow(
        challenge=secrets.token_urlsafe(32),
        machine_id=machine_id,
        expires_at=now + dt.timedelta(seconds=ttl_s),
    )
    session.add(row)
    return row


def _new_token(
    session: Session, *, kind: str, subject: str, roles: list[str], center_id: str | None, ttl_s: int
):
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + dt.timedelta(seconds=ttl_s)
    session.execute(delete(TokenRow).where(TokenRow.expires_at < now - dt.timedelta(days=1)))
    session.add(
        TokenRow(
            token_hash=_hash(token),
            kind=kind,
            subject=subject,
            roles=roles,
            center_id=center_id,
            expires_at=expires,
        )
    )
    return TokenResponse(token=token, expires_at=expires, subject=subject, roles=roles)


def _consume_challenge(session: Session, *, machine_id: str, challenge: str) -> bool:
    """Delete the challenge (single use, even when what follows fails); raise if unknown.
    Return whether it had expired (the caller refuses after committing the deletion)."""
    row = session.get(ChallengeRow, challenge, with_for_update=True)
    if row is None or row.machine_id != machine_id:
        raise NotAuthenticated(
            ErrorCode.challenge_invalid, "unknown, used or foreign challenge; ask for a new one"
        )
    expired = aware(row.expires_at) < utcnow()
    session.delete(row)
    return expired


def machine_token(
    session: Session, *, machine_id: str, challenge: str, signature: str, ttl_s: int
) -> TokenResponse:
    """Trade a challenge the machine signed with its key for a machine token. The challenge is used up
    (committed) first, whatever follows: each works once. ``session`` has no transaction open."""
    with session.begin():
        expired = _consume_challenge(session, machine_id=machine_id, challenge=challenge)
    if expired:
        raise NotAuthenticated(ErrorCode.challenge_invalid, "the challenge has expired; ask for a new one")
    with session.begin():
        return _issue_machine_token(
            session, machine_id=machine_id, challenge=challenge, signature=signature, ttl_s=ttl_s
        )


def _issue_machine_token(
    session: Session, *, machine_id: str, challenge: str, signature: str, ttl_s: int
) -> TokenResponse:
    machine = session.get(MachineRow, machine_id)
    if (refusal := machine_refusal(machine, machine_id)) is not None:
        raise refusal
    try:
        verify_b64(machine.public_key, challenge.encode(), signature)
    except SignatureError as exc:
        raise NotAuthenticated(ErrorCode.signature_invalid, f"challenge signature: {exc}") from exc
    return _new_token(
        session,
        kind="machine",
        subject=machine_id,
        roles=["machine"],
        center_id=machine.center_id,
        ttl_s=ttl_s,
    )


@dataclass(frozen=True)
class CheckedUser:
    """A user whose password was just checked: roles and center as master data holds them now."""

    username: str
    roles: list[str]
    center_id: str | None
    data: dict


def check_password(
    session: Session, *, username: str, password: str, guards: Guards, policy: LockoutPolicy
) -> CheckedUser:
    """Check a user's password under the lockout rules (API logins and console sign-ins alike). Locked
    names are refused before any hashing; every attempt is counted before the check (login_guard), and
    no database transaction is open while hashing (each step commits its own short transaction in
    ``session``, which has none open). A success clears the name's failures."""
    login_guard.refuse_if_locked(session, username=username)
    dummy = _dummy_hash()
    with session.begin():
        row = session.get(CurrentRow, ("users", username))
        data, center_id = (dict(row.data), row.center_id) if row is not None else ({}, None)
    stored = data.get("password_hash") or dummy
    # A slot first, then the count: a busy server must not count (and lock) an attempt it never checked.
    if not guards.password_hashes.acquire(timeout=guards.password_hash_wait_s):
        raise RateLimited(
            ErrorCode.rate_limited, "the server is busy checking passwords; retry", retry_after=1
        )
    try:
        failures = login_guard.reserve_attempt(session, username=username, policy=policy)
        try:
            ok = _hasher.verify(stored, password) and row is not None
        except (VerificationError, InvalidHashError):
            ok = False
    finally:
        guards.password_hashes.release()
    ok = ok and data.get("active", True) is not False
    if not ok:
        login_guard.record_failure(session, username=username, failures=failures, policy=policy)
        raise NotAuthenticated(ErrorCode.bad_credentials, "wrong user name or password")
    with session.begin():
        login_guard.clear_failures(session, username=username)
    roles = [r for r in data.get("roles", []) if isinstance(r, str)]
    return CheckedUser(username=username, roles=roles, center_id=center_id, data=data)


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ttl_s: int,
    guards: Guards,
    policy: LockoutPolicy,
    second_factor: Callable[[CheckedUser], None] | None = None,
) -> TokenResponse:
    """Check a user's password (:func:`check_password`), then ``second_factor`` (which raises to refuse),
    and issue a user token."""
    user = check_password(session, username=username, password=password, guards=guards, policy=policy)
    if second_factor is not None:
        second_factor(user)
    with session.begin():
        return _new_token(
            session, kind="user", subject=username, roles=user.roles, center_id=user.center_id, ttl_s=ttl_s
        )


def authenticate(session: Session, *, token: str) -> Principal:
    """The principal of a live token. Machine tokens die with their machine's approval, user tokens with
    the user (deleted or deactivated in master data) at once; a user's roles are read fresh."""
    row = session.get(TokenRow, _hash(token))
    if row is None:
        raise TokenRefused(ErrorCode.token_invalid, "unknown token")
    if aware(row.expires_at) < utcnow():
        raise TokenRefused(ErrorCode.token_expired, "the token has expired")
    roles, center_id = list(row.roles), row.center_id
    if row.kind == "machine":
        machine = session.get(MachineRow, row.subject)
        if (refusal := machine_refusal(machine, row.subject)) is not None:
            raise refusal
    elif row.kind == "user":
        user = session.get(CurrentRow, ("users", row.subject))
        if user is None or user.data.get("active", True) is False:
            raise TokenRefused(ErrorCode.token_invalid, "this user no longer exists or has been deactivated")
        roles = [r for r in user.data.get("roles", []) if isinstance(r, str)]
        center_id = user.center_id
    return Principal(kind=row.kind, subject=row.subject, roles=roles, center_id=center_id)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def principal_centers(session: Session, principal: Principal) -> frozenset[str] | None:
    """The centers an API user's work is limited to (roles.center_scope over their user record, as the
    console computes it for its sessions): None for every center."""
    row = session.get(CurrentRow, ("users", principal.subject))
    return center_scope(
        principal.roles, principal.center_id, row.data if row is not None and row.data else {}
    )


def revoke_user_tokens(session: Session, *, username: str) -> None:
    """End every API token of a user at once (disabled, password or second factor reset)."""
    session.execute(delete(TokenRow).where(TokenRow.kind == "user", TokenRow.subject == username))

"""Authentication at the kiosk, offline: login with lockout, session lock (inactivity or on request),
unlock, roles and supervisors' on-the-spot approval, all against master-data users.

Roles are enforced here (services call :func:`require_role`), not only by hiding buttons in the GUI.
Every credential goes through one check with one lockout: a password, or a fingerprint on the kiosk's
reader (a :class:`FingerprintProof`, client.core.fingerprints): a finger that does not match counts as a
failed attempt like a wrong password; a reader that times out, is unplugged or cannot match raises its
device error and counts as nothing. Signing in by finger without a user id (identification) counts
its failures on one kiosk-wide row (:data:`IDENTIFY_KEY`), so guessing fingers locks that path too.
Config keys read from master data (``config`` entity, with these defaults):
``login.max_failures`` 5, ``login.lockout_minutes`` 15, ``session.inactivity_minutes`` 10 (older master
data may carry ``session.lock_after_s`` in seconds instead: read as a fallback), ``supervisor.totp_required``
true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text

from client.core.audit import append_audit
from client.core.master_data import MasterData
from client.core.store import Store
from client.core.totp import verify_totp

Clock = Callable[[], datetime]
_hasher = PasswordHasher()
IDENTIFY_KEY = "*fingerprint*"  # the login_state row of finger sign-ins without a user id


def inactivity_minutes(master_data: MasterData) -> float:
    """Idle minutes before the kiosk locks: ``session.inactivity_minutes``, else the older
    ``session.lock_after_s`` (seconds) a deployed master data may still carry, else 10."""
    minutes = master_data.config("session.inactivity_minutes")
    if minutes is not None:
        return float(minutes)
    seconds = master_data.config("session.lock_after_s")
    return float(seconds) / 60 if seconds is not None else 10.0


class AuthError(PermissionError):
    """Login or approval refused. ``reason`` (a stable code such as "wrong_password") and ``details``
    let the kiosk say it in the officer's language; the message is the same in English, for the log.
    A wrong password carries ``remaining``: the attempts left before the account locks."""

    def __init__(self, message: str, *, reason: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.reason, self.details = reason, details


class LockedOut(AuthError):
    """Too many failed passwords. ``details["until"]`` is when the lock ends (an aware UTC datetime; the
    kiosk shows it in local time)."""


class SessionLocked(AuthError):
    """The kiosk locked itself after inactivity; the same user must re-enter the password."""


class RoleRequired(AuthError):
    pass


class NoFingerprint(AuthError):
    """The user has no fingerprint enrolled on this kiosk (for this reader): not an attempt, nothing
    counted; they use their password (and may enrol)."""


class FingerprintProof(Protocol):
    """A fingerprint as a credential: a live finger on the kiosk's reader against enrolled prints.
    Both methods block until a finger is read (worker threads only) and raise the reader's device
    error (timeout, unplugged, cannot match) or :class:`NoFingerprint`, which count as no attempt."""

    def matches(self, user_id: str) -> bool:
        """Whether the finger on the reader is one ``user_id`` enrolled."""
        ...

    def identify(self) -> str | None:
        """The user whose enrolled finger is on the reader, or None."""
        ...


def _password_proof(password: str) -> Callable[[dict], bool]:
    def proof(user: dict) -> bool:
        _hasher.verify(user.get("password_hash", ""), password)
        return True

    return proof


@dataclass
class Session:
    user_id: str
    name: str
    roles: frozenset[str]
    started_at: datetime
    last_activity: datetime
    locked: bool = False
    extra: dict = field(default_factory=dict)


def require_role(session: Session | None, role: str) -> None:
    """Raise :class:`RoleRequired` unless an unlocked ``session`` holds ``role``."""
    if session is None or session.locked:
        raise RoleRequired(f"this action needs a logged-in {role}")
    if role not in session.roles:
        raise RoleRequired(
            f"user {session.user_id} is not a {role}", reason=f"not_{role}", user=session.user_id
        )


class AuthenticationService:
    """Who may do what on this kiosk, offline. Every method may touch the store: call it off the UI thread."""

    def __init__(self, *, store: Store, master_data: MasterData, clock: Clock | None = None) -> None:
        self._store = store
        self._md = master_data
        self._now = clock or (lambda: datetime.now(UTC))

    def _user(self, user_id: str) -> dict:
        user = self._md.get("users", user_id)
        if not user or not user.get("active", True):
            raise AuthError("unknown user or wrong password", reason="wrong_password")
        center = user.get("center_id")
        if center and self._md.center_id and center != self._md.center_id:
            raise AuthError(
                f"user {user_id} does not belong to this center", reason="other_center", user=user_id
            )
        return user

    def _credential(
        self, user_id: str, *, password: str | None, fingerprint: FingerprintProof | None, action: str
    ) -> dict:
        """The user row once ``password`` or ``fingerprint`` (checked against ``user_id``) is right."""
        if fingerprint is not None:
            return self._check(
                user_id,
                action=action,
                proof=lambda _user: fingerprint.matches(user_id),
                method="fingerprint",
            )
        return self._check(user_id, action=action, proof=_password_proof(password or ""))

    def _identified(self, fingerprint: FingerprintProof, *, action: str) -> tuple[str, dict]:
        """The user whose finger is on the reader, with both lockouts: the kiosk-wide identification
        row (a finger nobody enrolled is its failed attempt) and then that user's own."""
        found: list[str] = []

        def proof(_user: dict) -> bool:
            user_id = fingerprint.identify()
            found.extend([user_id] if user_id else [])
            return bool(user_id)

        self._check(IDENTIFY_KEY, action=action, proof=proof, method="fingerprint", lookup=False)
        return found[0], self._check(found[0], action=action, proof=lambda _user: True, method="fingerprint")

    def _check(
        self,
        user_id: str,
        *,
        action: str,
        proof: Callable[[dict], bool],
        method: str = "password",
        lookup: bool = True,
    ) -> dict:
        """Run ``proof(user)`` with lockout bookkeeping; raise AuthError on failure. ``lookup=False``:
        ``user_id`` is a bookkeeping row (identification), not a master-data user. An exception other
        than a refusal (a device error, :class:`NoFingerprint`) propagates and counts as nothing."""
        shared = user_id == IDENTIFY_KEY  # its refusals are worded for the identification path
        actor = None if shared else user_id
        how = {} if method == "password" else {"method": method}
        max_failures = int(self._md.config("login.max_failures", 5))
        lockout = timedelta(minutes=float(self._md.config("login.lockout_minutes", 15)))
        now = self._now()
        with self._store.transaction() as conn:
            row = conn.execute(
                text("SELECT failures, locked_until FROM login_state WHERE user_id = :u"), {"u": user_id}
            ).first()
            failures, locked_until = (row[0], row[1]) if row else (0, None)
            locked = bool(locked_until) and datetime.fromisoformat(locked_until) > now
            if locked:  # audited in this transaction, raised after it commits (raising inside rolls back)
                append_audit(conn, actor=actor, action=f"{action}.refused_locked", details=how or None)
        if locked:
            refused = LockedOut(
                f"user {user_id} is locked until {locked_until[:19]} after repeated failures",
                reason="locked_until",
                user=user_id,
                until=datetime.fromisoformat(locked_until),
            )
            raise _for_identification(refused) if shared else refused
        try:
            user = self._user(user_id) if lookup else {}
            ok = proof(user)
        except NoFingerprint:
            raise
        except (VerificationError, InvalidHashError, AuthError):
            ok = False
        if not ok:
            user = {}
        with self._store.transaction() as conn:
            if ok:
                conn.execute(
                    text(
                        "INSERT INTO login_state (user_id, failures, locked_until) VALUES (:u, 0, NULL) "
                        "ON CONFLICT (user_id) DO UPDATE SET failures = 0, locked_until = NULL"
                    ),
                    {"u": user_id},
                )
                return user
            failures += 1
            until = (now + lockout).isoformat() if failures >= max_failures else None
            conn.execute(
                text(
                    "INSERT INTO login_state (user_id, failures, locked_until) VALUES (:u, :f, :l) "
                    "ON CONFLICT (user_id) DO UPDATE SET failures = :f, locked_until = :l"
                ),
                {"u": user_id, "f": 0 if until else failures, "l": until},
            )
            append_audit(conn, actor=actor, action=f"{action}.failed", details={"locked": bool(until), **how})
        if until:
            refused = LockedOut(
                f"too many failed attempts: user {user_id} is locked for {lockout}",
                reason="locked_now",
                user=user_id,
                minutes=int(lockout.total_seconds() // 60),
                until=now + lockout,
            )
            raise _for_identification(refused) if shared else refused
        if shared:
            raise AuthError(
                "no enrolled fingerprint matches", reason="not_recognised", tries=max_failures - failures
            )
        if method == "fingerprint":
            raise AuthError(
                "the fingerprint does not match", reason="no_match", remaining=max_failures - failures
            )
        raise AuthError(
            "unknown user or wrong password", reason="wrong_password", remaining=max_failures - failures
        )

    def login(
        self, *, user_id: str = "", password: str | None = None, fingerprint: FingerprintProof | None = None
    ) -> Session:
        """Operator (or supervisor) login at the kiosk, fully offline: the password, or the finger on the
        reader (against ``user_id``'s enrolled prints, or identified among all when ``user_id`` is "")."""
        if fingerprint is not None and not user_id:
            user_id, user = self._identified(fingerprint, action="login")
        else:
            user = self._credential(user_id, password=password, fingerprint=fingerprint, action="login")
        roles = frozenset(user.get("roles", []))
        if not roles & {"operator", "supervisor"}:
            raise RoleRequired(
                f"user {user_id} may not use a registration kiosk", reason="not_operator", user=user_id
            )
        now = self._now()
        with self._store.transaction() as conn:
            append_audit(conn, actor=user_id, action="login", details=_method(fingerprint))
        return Session(
            user_id=user_id,
            name=user.get("name", user_id),
            roles=roles,
            started_at=now,
            last_activity=now,
            extra={"method": "fingerprint" if fingerprint else "password"},
        )

    def touch(self, session: Session) -> None:
        """Record activity; lock the session if it was idle longer than the configured limit."""
        self.check_active(session)
        session.last_activity = self._now()

    def check_active(self, session: Session) -> None:
        """Raise :class:`SessionLocked` if ``session`` is locked, locking it first if it was idle longer
        than ``session.inactivity_minutes``."""
        idle = timedelta(minutes=inactivity_minutes(self._md))
        if not session.locked and self._now() - session.last_activity > idle:
            self.lock(session, idle=True)
        if session.locked:
            raise SessionLocked(
                "the kiosk locked after inactivity; enter your password to continue", reason="session_locked"
            )

    def lock(self, session: Session, *, idle: bool = False) -> None:
        """Lock ``session`` (the same user unlocks it with :meth:`unlock`) and audit it:
        ``session.auto_locked`` after inactivity (``idle``), ``session.locked`` on request. A front end
        may have set ``session.locked`` already, to lock the screen at once; this still audits."""
        session.locked = True
        with self._store.transaction() as conn:
            append_audit(
                conn, actor=session.user_id, action="session.auto_locked" if idle else "session.locked"
            )

    def unlock(
        self, session: Session, *, password: str | None = None, fingerprint: FingerprintProof | None = None
    ) -> None:
        """The same officer unlocks with the password or their finger (the lockout counts either)."""
        self._credential(session.user_id, password=password, fingerprint=fingerprint, action="unlock")
        session.locked = False
        session.last_activity = self._now()

    def reauthenticate(
        self,
        session: Session,
        *,
        password: str | None = None,
        purpose: str,
        fingerprint: FingerprintProof | None = None,
    ) -> None:
        """The signed-in officer confirms an action (``purpose``, e.g. "registration.sign_off") with
        their password or finger again, as MOSIP asks before sign-off. A wrong password or a finger that
        does not match counts toward the same lockout as login (audited ``reauth.failed``) and raises
        :class:`AuthError` with ``remaining``; success is audited ``reauth`` with the purpose. Raises
        :class:`SessionLocked` on a locked session.
        """
        if session.locked:
            raise SessionLocked("the session is locked; unlock it first", reason="session_locked")
        self._credential(session.user_id, password=password, fingerprint=fingerprint, action="reauth")
        session.last_activity = self._now()
        with self._store.transaction() as conn:
            details = {"purpose": purpose, **(_method(fingerprint) or {})}
            append_audit(conn, actor=session.user_id, action="reauth", details=details)

    def logout(self, session: Session) -> None:
        session.locked = True
        with self._store.transaction() as conn:
            append_audit(conn, actor=session.user_id, action="logout")

    def supervisor_approval(
        self,
        *,
        user_id: str = "",
        password: str | None = None,
        totp: str | None = None,
        purpose: str,
        operator_id: str | None = None,
        fingerprint: FingerprintProof | None = None,
    ) -> str:
        """Verify a supervisor on the spot: password + TOTP (or password alone where config allows), or
        their finger on the kiosk's reader (against ``user_id``'s prints, or identified when ``user_id``
        is ""), which needs no one-time code (a biometric is the second factor).

        ``operator_id`` is the officer whose work is approved: nobody approves their own registration
        (reason ``own_registration``), by password or by finger. Returns the supervisor's id to record
        in the packet's meta.
        """
        own = AuthError("a supervisor cannot approve their own registration", reason="own_registration")
        if operator_id is not None and user_id == operator_id:
            own.details["user"] = user_id
            raise own
        action = "supervisor_approval"
        if fingerprint is not None and not user_id:
            user_id, user = self._identified(fingerprint, action=action)
            if operator_id is not None and user_id == operator_id:
                own.details["user"] = user_id
                raise own
        else:
            user = self._credential(user_id, password=password, fingerprint=fingerprint, action=action)
        if "supervisor" not in user.get("roles", []):
            raise RoleRequired(f"user {user_id} is not a supervisor", reason="not_supervisor", user=user_id)
        if fingerprint is None and bool(self._md.config("supervisor.totp_required", True)):
            secret = user.get("totp_secret")
            if not secret or not totp or not verify_totp(secret, totp, at=self._now()):
                with self._store.transaction() as conn:
                    append_audit(
                        conn,
                        actor=user_id,
                        action="supervisor_approval.bad_totp",
                        details={"purpose": purpose},
                    )
                raise AuthError("the one-time code is wrong or expired", reason="bad_totp")
        with self._store.transaction() as conn:
            details = {"purpose": purpose, **(_method(fingerprint) or {})}
            append_audit(conn, actor=user_id, action="supervisor_approval", details=details)
        return user_id


def _for_identification(refused: AuthError) -> AuthError:
    """A lockout of the identification row, worded for that path (``identify_locked_until`` /
    ``identify_locked_now``): no user account is locked, only signing in by finger without an id."""
    refused.reason = f"identify_{refused.reason}"
    return refused


def _method(fingerprint: FingerprintProof | None) -> dict | None:
    """What an audit entry says about how the user proved who they are (nothing for a password)."""
    return {"method": "fingerprint"} if fingerprint is not None else None


def hash_password(password: str) -> str:
    """argon2id PHC string (what master-data users carry); used by tests and tools."""
    return _hasher.hash(password)

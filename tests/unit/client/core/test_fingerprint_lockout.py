"""A finger as a credential: it counts toward the same lockout as a password (per user, and one kiosk-wide
row for identification without a user id); reader trouble and a missing print count as nothing; a
supervisor's finger needs no one-time code but still cannot approve their own registration.

The proof here is a scripted stand-in for the reader (it implements the core's FingerprintProof); the
real reader path is tests/integration/client/test_fingerprint_auth.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from client.core.audit import audit_entries, verify_audit_chain
from client.core.authentication import (
    IDENTIFY_KEY,
    AuthenticationService,
    AuthError,
    LockedOut,
    NoFingerprint,
    RoleRequired,
)
from device_drivers.base import DeviceTimeoutError


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class ScriptedFinger:
    """``finger`` is whose finger is on the reader (None: nobody's enrolled finger); ``error`` is raised
    instead (the reader timed out, say); ``enrolled`` are the users with a print."""

    def __init__(self, finger: str | None, *, enrolled=("op1", "sup1"), error: Exception | None = None):
        self.finger, self.enrolled, self.error, self.touches = finger, set(enrolled), error, 0

    def matches(self, user_id: str) -> bool:
        if user_id not in self.enrolled:
            raise NoFingerprint("no print", reason="no_print", user=user_id)
        return self._touch() == user_id

    def identify(self) -> str | None:
        return self._touch()

    def _touch(self) -> str | None:
        self.touches += 1
        if self.error is not None:
            raise self.error
        return self.finger


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def people(store, master_data, clock):
    return AuthenticationService(store=store, master_data=master_data, clock=clock)


def failures(store, key: str) -> int:
    with store.transaction() as conn:
        row = conn.execute(text("SELECT failures FROM login_state WHERE user_id = :u"), {"u": key}).first()
    return row[0] if row else 0


def test_a_finger_that_does_not_match_counts_like_a_wrong_password_and_locks(people, store):
    session = people.login(user_id="op1", fingerprint=ScriptedFinger("op1"))
    assert session.user_id == "op1" and session.extra["method"] == "fingerprint"
    with pytest.raises(AuthError) as refused:
        people.login(user_id="op1", fingerprint=ScriptedFinger("sup1"))
    assert refused.value.reason == "no_match" and refused.value.details["remaining"] == 2
    with pytest.raises(AuthError):
        people.login(user_id="op1", password="wrong")  # the password and the finger share the count
    with pytest.raises(LockedOut) as locked:
        people.login(user_id="op1", fingerprint=ScriptedFinger(None))
    assert locked.value.reason == "locked_now"
    right = ScriptedFinger("op1")
    with pytest.raises(LockedOut):
        people.login(user_id="op1", fingerprint=right)
    assert right.touches == 0  # a locked account is refused before anyone touches the reader
    with store.transaction() as conn:
        entries = audit_entries(conn)
        assert verify_audit_chain(conn).ok
    fingered = [e for e in entries if e["details"].get("method") == "fingerprint"]
    assert [e["action"] for e in fingered] == [
        "login",
        "login.failed",
        "login.failed",
        "login.refused_locked",
    ]


def test_reader_trouble_and_a_missing_print_count_as_nothing(people, store):
    with pytest.raises(DeviceTimeoutError):
        people.login(user_id="op1", fingerprint=ScriptedFinger("op1", error=DeviceTimeoutError("late")))
    with pytest.raises(NoFingerprint) as missing:
        people.login(user_id="op1", fingerprint=ScriptedFinger("op1", enrolled=()))
    assert missing.value.reason == "no_print"
    assert failures(store, "op1") == 0


def test_identification_counts_unknown_fingers_on_one_kiosk_wide_row(people, store, clock):
    assert people.login(fingerprint=ScriptedFinger("op1")).user_id == "op1"
    for tries in (2, 1):
        with pytest.raises(AuthError) as refused:
            people.login(fingerprint=ScriptedFinger(None))
        assert refused.value.reason == "not_recognised" and refused.value.details["tries"] == tries
    with pytest.raises(LockedOut) as locked:
        people.login(fingerprint=ScriptedFinger(None))
    assert locked.value.reason == "identify_locked_now"
    assert failures(store, "op1") == 0  # nobody's account suffers for unknown fingers
    with pytest.raises(LockedOut) as still:
        people.login(fingerprint=ScriptedFinger("op1"))
    assert still.value.reason == "identify_locked_until"
    assert people.login(user_id="op1", password="op-pass").user_id == "op1"  # the password path stays
    clock.now += timedelta(minutes=16)
    assert people.login(fingerprint=ScriptedFinger("op1")).user_id == "op1"


def test_identification_does_not_open_a_locked_account(people):
    for _ in range(3):
        with pytest.raises(AuthError):
            people.login(user_id="op1", password="bad")
    with pytest.raises(LockedOut):
        people.login(fingerprint=ScriptedFinger("op1"))


def test_a_supervisor_approves_by_finger_without_a_code_but_never_their_own_registration(people):
    by_finger = ScriptedFinger("sup1")
    assert (
        people.supervisor_approval(purpose="exceptions", operator_id="op1", fingerprint=by_finger) == "sup1"
    )
    typed = people.supervisor_approval(
        user_id="sup1", purpose="exceptions", operator_id="op1", fingerprint=ScriptedFinger("sup1")
    )
    assert typed == "sup1"
    with pytest.raises(AuthError) as own:
        people.supervisor_approval(
            purpose="exceptions", operator_id="sup1", fingerprint=ScriptedFinger("sup1")
        )
    assert own.value.reason == "own_registration"
    untouched = ScriptedFinger("sup1")
    with pytest.raises(AuthError) as own_typed:
        people.supervisor_approval(user_id="sup1", purpose="x", operator_id="sup1", fingerprint=untouched)
    assert own_typed.value.reason == "own_registration" and untouched.touches == 0
    with pytest.raises(RoleRequired):
        people.supervisor_approval(
            purpose="exceptions", operator_id="sup1", fingerprint=ScriptedFinger("op1")
        )


def test_reauthentication_and_unlock_by_finger(people):
    session = people.login(user_id="op1", password="op-pass")
    people.reauthenticate(session, purpose="registration.sign_off", fingerprint=ScriptedFinger("op1"))
    with pytest.raises(AuthError) as refused:
        people.reauthenticate(session, purpose="registration.sign_off", fingerprint=ScriptedFinger("sup1"))
    assert refused.value.reason == "no_match"
    people.lock(session)
    people.unlock(session, fingerprint=ScriptedFinger("op1"))
    assert not session.locked


def test_the_identification_row_is_no_user(people, store):
    with pytest.raises(AuthError):
        people.login(fingerprint=ScriptedFinger(None))
    assert failures(store, IDENTIFY_KEY) == 1
    with store.transaction() as conn:
        [entry] = [e for e in audit_entries(conn) if e["action"] == "login.failed"]
    assert entry["actor"] is None

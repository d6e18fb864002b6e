"""Offline login, lockout, inactivity lock, roles and supervisor approval."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from client.core.audit import verify_audit_chain
from client.core.authentication import (
    AuthenticationService,
    AuthError,
    LockedOut,
    RoleRequired,
    SessionLocked,
    require_role,
)
from tests.unit.client.core.conftest import SUPERVISOR_TOTP


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def people(store, master_data, clock):
    return AuthenticationService(store=store, master_data=master_data, clock=clock)


def test_operator_logs_in_offline_and_roles_are_enforced(people):
    session = people.login(user_id="op1", password="op-pass")
    require_role(session, "operator")
    with pytest.raises(RoleRequired):
        require_role(session, "supervisor")


def test_wrong_password_and_unknown_user_get_the_same_message(people):
    with pytest.raises(AuthError, match="unknown user or wrong password"):
        people.login(user_id="op1", password="nope")
    with pytest.raises(AuthError, match="unknown user or wrong password"):
        people.login(user_id="ghost", password="nope")


def test_user_of_another_center_is_refused(people):
    with pytest.raises(AuthError):
        people.login(user_id="op9", password="op-pass")


def test_lockout_after_configured_failures_then_expires(people, clock, store):
    for remaining in (2, 1):
        with pytest.raises(AuthError) as refused:
            people.login(user_id="op1", password="bad")
        assert refused.value.details["remaining"] == remaining  # attempts left before the lock
    with pytest.raises(LockedOut) as locked:
        people.login(user_id="op1", password="bad")
    assert locked.value.details["until"] == clock.now + timedelta(minutes=15)
    with pytest.raises(LockedOut) as still:
        people.login(user_id="op1", password="op-pass")  # even the right password while locked
    assert still.value.details["until"] == clock.now + timedelta(minutes=15)
    clock.now += timedelta(minutes=16)
    assert people.login(user_id="op1", password="op-pass").user_id == "op1"
    with store.transaction() as conn:
        assert verify_audit_chain(conn).ok


def test_inactivity_locks_the_session_until_password(people, clock):
    session = people.login(user_id="op1", password="op-pass")
    clock.now += timedelta(minutes=5)
    people.touch(session)
    clock.now += timedelta(minutes=11)
    with pytest.raises(SessionLocked):
        people.touch(session)
    with pytest.raises(RoleRequired):
        require_role(session, "operator")
    people.unlock(session, password="op-pass")
    require_role(session, "operator")


def test_lock_on_request_is_audited_apart_from_an_idle_lock(people, clock, store):
    session = people.login(user_id="op1", password="op-pass")
    people.lock(session)
    with pytest.raises(SessionLocked):
        people.touch(session)
    people.unlock(session, password="op-pass")
    clock.now += timedelta(hours=1)
    with pytest.raises(SessionLocked):
        people.touch(session)  # idle past the limit: locked by the core itself
    with store.transaction() as conn:
        actions = [row[0] for row in conn.exec_driver_sql("SELECT action FROM audit_log ORDER BY seq")]
    assert actions[-3:] == ["login", "session.locked", "session.auto_locked"]


def test_supervisor_approval_needs_password_and_totp(people, clock):
    code = pyotp.TOTP(SUPERVISOR_TOTP).at(clock.now)
    assert (
        people.supervisor_approval(user_id="sup1", password="sup-pass", totp=code, purpose="exception")
        == "sup1"
    )
    with pytest.raises(AuthError, match="one-time code"):
        people.supervisor_approval(user_id="sup1", password="sup-pass", totp="000000", purpose="x")
    with pytest.raises(RoleRequired):
        people.supervisor_approval(user_id="op1", password="op-pass", totp=code, purpose="x")


def test_short_80_bit_secrets_work_like_authenticator_apps(people, clock, store):
    from client.core.master_data import apply_changes
    from client.core.totp import totp_code, verify_totp

    short = "JBSWY3DPEHPK3PXP"  # 80 bits: pyotp refuses it, authenticator apps accept it
    assert totp_code(short, at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC)) == totp_code(short, at=clock.now)
    assert verify_totp(short, totp_code(short, at=clock.now - timedelta(seconds=30)), at=clock.now)
    assert not verify_totp(short, totp_code(short, at=clock.now - timedelta(minutes=5)), at=clock.now)
    user = people._md.get("users", "sup1") | {"totp_secret": short}
    with store.transaction() as conn:
        apply_changes(conn, [{"entity": "users", "id": "sup1", "op": "upsert", "data": user}])
    code = totp_code(short, at=clock.now)
    assert people.supervisor_approval(user_id="sup1", password="sup-pass", totp=code, purpose="x") == "sup1"


def test_password_alone_where_config_allows(people, store, master_data):
    from client.core.master_data import apply_changes

    with pytest.raises(AuthError):
        people.supervisor_approval(user_id="sup1", password="sup-pass", totp=None, purpose="x")
    with store.transaction() as conn:
        apply_changes(
            conn,
            [
                {
                    "entity": "config",
                    "id": "supervisor.totp_required",
                    "op": "upsert",
                    "data": {"id": "supervisor.totp_required", "value": False},
                }
            ],
        )
    assert people.supervisor_approval(user_id="sup1", password="sup-pass", totp=None, purpose="x") == "sup1"


def test_a_supervisor_cannot_approve_their_own_registration(people, clock):
    code = pyotp.TOTP(SUPERVISOR_TOTP).at(clock.now)
    with pytest.raises(AuthError) as refused:
        people.supervisor_approval(
            user_id="sup1", password="sup-pass", totp=code, purpose="x", operator_id="sup1"
        )
    assert refused.value.reason == "own_registration" and refused.value.details == {"user": "sup1"}
    assert (
        people.supervisor_approval(
            user_id="sup1", password="sup-pass", totp=code, purpose="x", operator_id="op1"
        )
        == "sup1"
    )


def test_reauthentication_before_sign_off_counts_toward_lockout_and_is_audited(people, clock, store):
    session = people.login(user_id="op1", password="op-pass")
    people.reauthenticate(session, password="op-pass", purpose="registration.sign_off")
    for remaining in (2, 1):
        with pytest.raises(AuthError) as refused:
            people.reauthenticate(session, password="bad", purpose="registration.sign_off")
        assert refused.value.reason == "wrong_password" and refused.value.details["remaining"] == remaining
    with pytest.raises(LockedOut):
        people.reauthenticate(session, password="bad", purpose="registration.sign_off")
    with pytest.raises(LockedOut):  # the same lock as login: the right password waits too
        people.reauthenticate(session, password="op-pass", purpose="registration.sign_off")
    with pytest.raises(LockedOut):
        people.login(user_id="op1", password="op-pass")
    clock.now += timedelta(minutes=16)
    people.reauthenticate(session, password="op-pass", purpose="registration.sign_off")
    people.lock(session)
    with pytest.raises(SessionLocked):
        people.reauthenticate(session, password="op-pass", purpose="registration.sign_off")
    with store.transaction() as conn:
        assert verify_audit_chain(conn).ok
        rows = list(conn.exec_driver_sql("SELECT action, details FROM audit_log ORDER BY seq"))
    actions = [r[0] for r in rows]
    assert actions[1:6] == [
        "reauth",
        "reauth.failed",
        "reauth.failed",
        "reauth.failed",
        "reauth.refused_locked",
    ]
    assert '"purpose":"registration.sign_off"' in rows[1][1]

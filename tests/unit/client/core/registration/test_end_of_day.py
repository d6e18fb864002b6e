"""End of day in the core: reasons from master data, the supervisor's password before approving all."""

import json
from datetime import date

import pytest
from sqlalchemy import text

from client.core.authentication import AuthError
from client.core.master_data import apply_changes
from client.core.registration.end_of_day import OTHER_REASON, EndOfDayService, age_on

from .test_service import complete, env  # noqa: F401 (env is a fixture)

REASON = {"id": "PHOTO_MISMATCH", "labels": {"eng": "Photo does not match", "ara": "الصورة لا تطابق"}}


@pytest.fixture
def eod_env(env, store, master_data):  # noqa: F811
    people, service, _, _ = env
    with store.transaction() as conn:
        apply_changes(
            conn, [{"entity": "reject_reasons", "id": REASON["id"], "op": "upsert", "data": REASON}]
        )
    eod = EndOfDayService(store=store, master_data=master_data, authentication=people)
    op = people.login(user_id="op1", password="op-pass")
    sup = people.login(user_id="sup1", password="sup-pass")
    return eod, [complete(service, op).rid for _ in range(2)], sup


def stored(store, rid):
    with store.transaction() as conn:
        return conn.execute(
            text("SELECT status, review_reason FROM registrations WHERE rid = :r"), {"r": rid}
        ).one()


def audit_actions(store):
    with store.transaction() as conn:
        return [
            (r[0], json.loads(r[1] or "{}"))
            for r in conn.execute(text("SELECT action, details FROM audit_log"))
        ]


def test_a_reason_chosen_from_the_master_data_list_is_stored(eod_env, store):
    eod, rids, sup = eod_env
    assert [r["id"] for r in eod.reject_reasons()] == ["PHOTO_MISMATCH"]
    with pytest.raises(ValueError, match="not a reject reason"):
        eod.reject(session=sup, rid=rids[0], reason_id="NO_SUCH")
    with pytest.raises(ValueError, match="needs a reason"):  # "Other" needs the supervisor's words
        eod.reject(session=sup, rid=rids[0], reason_id=OTHER_REASON, reason="  ")
    eod.reject(session=sup, rid=rids[0], reason_id="PHOTO_MISMATCH")
    eod.reject(session=sup, rid=rids[1], reason_id=OTHER_REASON, reason="applicant left")
    assert tuple(stored(store, rids[0])) == ("rejected", "Photo does not match")  # head office's language
    assert tuple(stored(store, rids[1])) == ("rejected", "applicant left")
    rejected = [d for a, d in audit_actions(store) if a == "packet.rejected"]
    assert rejected[0]["reason_id"] == "PHOTO_MISMATCH"


def test_approve_all_needs_the_supervisors_password_again(eod_env, store):
    eod, rids, sup = eod_env
    with pytest.raises(AuthError):
        eod.approve_all(session=sup, rids=rids, password="wrong")
    assert [stored(store, r)[0] for r in rids] == ["pending_approval"] * 2  # nothing approved
    assert eod.approve_all(session=sup, rids=rids, password="sup-pass") == 2
    assert [stored(store, r)[0] for r in rids] == ["approved"] * 2
    actions = audit_actions(store)
    assert ("reauth.failed", {"locked": False}) in actions
    assert ("reauth", {"purpose": "eod.approve_all"}) in actions


def test_pending_packets_carry_the_age_and_why_biometrics_are_missing(eod_env):
    eod, _rids, sup = eod_env
    summary = eod.pending(session=sup)[0]["summary"]
    assert summary["age"] == age_on("1991-04-12", date.today())
    assert summary["captures"] > 0 and summary["exception_reasons"] == []
    assert age_on("2000-06-15", date(2026, 6, 14)) == 25
    assert age_on("", date(2026, 6, 14)) is None

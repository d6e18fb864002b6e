"""Officers sign in with their own finger, end to end: a real kiosk (SQLCipher store, master-data users,
audit chain) over libfprint's virtual_image reader in the real host process. Enrol after the password,
then verify and identify; a wrong finger counts toward the lockout; a reader that is not there, or a
print from another kind of reader, is a clear refusal that counts as nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from client.core.audit import audit_entries, verify_audit_chain
from client.core.authentication import AuthError, LockedOut, NoFingerprint
from client.core.capture import DeviceCapture
from client.core.fingerprints import FingerprintService
from demo.kiosk_fixture import OPERATOR, SUPERVISOR, seeded_kiosk
from device_drivers.base import DeviceUnavailableError
from device_drivers.fprint.source import FprintSource, unavailable_reason
from device_drivers.manager import DeviceManager
from tests.support.virtual_fprint import VirtualReader, virtual_allowed

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
PERSON, OTHER_PERSON = 7, 11
RIGHT_INDEX, LEFT_INDEX = 2, 7


@pytest.fixture
def kiosk(tmp_path):
    client = seeded_kiosk(tmp_path / "kiosk")
    reader = VirtualReader()
    devices = DeviceCapture(
        lambda: DeviceManager(
            {"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=reader.host())}
        )
    )
    service = FingerprintService(
        store=client.store, authentication=client.authentication, devices=devices, finger_timeout_s=10
    )
    yield client, reader, service
    devices.close()
    client.close()
    reader.close()


def enrol(client, reader, service, user, password, *, person=PERSON, finger="Right IndexFinger"):
    session = client.authentication.login(user_id=user, password=password)
    reader.fingers(*[(RIGHT_INDEX, i) for i in range(5)], person=person)
    progress = []
    enrolled = service.enrol(session, password=password, finger=finger, on_progress=progress.append)
    return session, enrolled, progress


def failures(client, user: str) -> int:
    with client.store.transaction() as conn:
        row = conn.execute(text("SELECT failures FROM login_state WHERE user_id = :u"), {"u": user}).first()
    return row[0] if row else 0


def test_enrol_then_sign_in_by_finger_and_a_wrong_finger_counts(kiosk):
    client, reader, service = kiosk
    auth = client.authentication
    status = service.status(user_id=OPERATOR[0])
    assert status.available and status.can_identify and status.enrolled_here == 0
    assert "virtual" in status.reader.lower() or status.reader
    session = auth.login(user_id=OPERATOR[0], password=OPERATOR[2])
    with pytest.raises(AuthError):  # enrolling needs the password again
        service.enrol(session, password="wrong", finger="Right IndexFinger")
    assert service.enrolled(OPERATOR[0]) == []

    _session, enrolled, progress = enrol(client, reader, service, OPERATOR[0], OPERATOR[2])
    assert enrolled.driver == "virtual_image" and [f.finger for f in service.enrolled(OPERATOR[0])] == [
        "Right IndexFinger"
    ]
    assert progress and progress[-1].done == progress[-1].stages
    assert service.status(user_id=OPERATOR[0]).user_enrolled

    reader.fingers((RIGHT_INDEX, 6))
    by_finger = auth.login(user_id=OPERATOR[0], fingerprint=service)
    assert by_finger.user_id == OPERATOR[0] and by_finger.extra["method"] == "fingerprint"
    reader.fingers((RIGHT_INDEX, 7))
    assert auth.login(fingerprint=service).user_id == OPERATOR[0]  # identified: no id typed

    reader.fingers((LEFT_INDEX, 0))
    with pytest.raises(AuthError) as refused:
        auth.login(user_id=OPERATOR[0], fingerprint=service)
    assert refused.value.reason == "no_match" and failures(client, OPERATOR[0]) == 1
    with pytest.raises(AuthError) as nobody:
        reader.fingers((RIGHT_INDEX, 0), person=OTHER_PERSON)
        auth.login(fingerprint=service)
    assert nobody.value.reason == "not_recognised" and failures(client, OPERATOR[0]) == 1

    with pytest.raises(NoFingerprint) as none:  # the supervisor enrolled nothing: not an attempt
        auth.login(user_id=SUPERVISOR[0], fingerprint=service)
    assert none.value.reason == "no_print" and failures(client, SUPERVISOR[0]) == 0

    assert service.remove(session, finger="Right IndexFinger")
    with pytest.raises(NoFingerprint):
        auth.login(user_id=OPERATOR[0], fingerprint=service)
    with client.store.transaction() as conn:
        actions = [e["action"] for e in audit_entries(conn)]
        assert verify_audit_chain(conn).ok
    assert {"fingerprint.enrolled", "fingerprint.removed", "login.failed", "reauth.failed"} <= set(actions)


def test_supervisor_approves_by_finger_but_not_their_own_registration(kiosk):
    client, reader, service = kiosk
    auth = client.authentication
    enrol(client, reader, service, SUPERVISOR[0], SUPERVISOR[2])
    reader.fingers((RIGHT_INDEX, 5))
    assert (
        auth.supervisor_approval(purpose="exceptions", operator_id=OPERATOR[0], fingerprint=service) == "sup1"
    )
    reader.fingers((RIGHT_INDEX, 6))
    with pytest.raises(AuthError) as own:
        auth.supervisor_approval(purpose="exceptions", operator_id=SUPERVISOR[0], fingerprint=service)
    assert own.value.reason == "own_registration"


def test_lockout_by_wrong_fingers(kiosk):
    client, reader, service = kiosk
    auth = client.authentication
    session, _enrolled, _ = enrol(client, reader, service, OPERATOR[0], OPERATOR[2])
    limit = int(client.master_data.config("login.max_failures", 5))
    for attempt in range(1, limit + 1):
        reader.fingers((LEFT_INDEX, attempt))
        expected = LockedOut if attempt == limit else AuthError
        with pytest.raises(expected):
            auth.reauthenticate(session, purpose="registration.sign_off", fingerprint=service)
    with pytest.raises(LockedOut):  # refused at once: no finger needed
        auth.reauthenticate(session, purpose="registration.sign_off", fingerprint=service)


def test_without_libfprint_the_kiosk_says_why_and_counts_nothing(tmp_path):
    client = seeded_kiosk(tmp_path / "kiosk")

    def missing():
        raise DeviceUnavailableError("libfprint is not available on this system (PyGObject is not installed)")

    devices = DeviceCapture(lambda: DeviceManager({"fprint": missing}))
    service = FingerprintService(store=client.store, authentication=client.authentication, devices=devices)
    try:
        status = service.status()
        assert status.reason == "unavailable" and "PyGObject" in status.detail
        with pytest.raises(NoFingerprint) as refused:
            client.authentication.login(user_id=OPERATOR[0], fingerprint=service)
        assert refused.value.reason == "fp_unavailable" and failures(client, OPERATOR[0]) == 0
    finally:
        devices.close()
        client.close()

"""Officers' own fingers in the kiosk window, on libfprint's virtual_image reader fed by the test: enrol
from the home screen (touch by touch, in words), unlock and sign in by finger, a wrong finger counted,
the supervisor approving by finger (and refused for their own registration), the sign-off
re-authentication and the end-of-day approval by finger; where libfprint is missing nothing is offered
and the kiosk says why. Screenshots of each screen in English and Arabic go to /tmp/fp-shots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import text

from client.core.capture import DeviceCapture
from client.ui.app import build_window
from client.ui.screens.end_of_day_dialogs import ApproveAllDialog
from client.ui.screens.reauth_dialog import ReauthDialog
from client.ui.screens.supervisor_dialog import SupervisorDialog
from demo.kiosk_fixture import OPERATOR, SUPERVISOR, seeded_kiosk
from device_drivers.base import DeviceUnavailableError
from device_drivers.fprint.source import FprintSource, unavailable_reason
from device_drivers.manager import DeviceManager
from tests.support.virtual_fprint import VirtualReader, virtual_allowed

from .conftest import sign_in

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
SHOTS = Path("/tmp/fp-shots")
PERSON, SUP_PERSON = 7, 11
RIGHT_INDEX, LEFT_INDEX = 2, 7
STAGES = 5  # libfprint's image readers (virtual_image among them) enrol with five touches
LEFT = Qt.MouseButton.LeftButton


def shot(widget, name: str) -> None:
    """Save ``widget`` as it shows once pending layouts (a new language's direction) are done."""
    SHOTS.mkdir(exist_ok=True)
    for _ in range(5):
        QApplication.processEvents()
    widget.grab().save(str(SHOTS / f"{name}.png"))


@pytest.fixture
def kiosk_with_reader(qtbot, tmp_path):
    kiosk = seeded_kiosk(tmp_path / "kiosk")
    reader = VirtualReader()
    devices = DeviceCapture(
        lambda: DeviceManager(
            {"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=reader.host())}
        )
    )
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.resize(1200, 820)
    window.show()
    yield kiosk, reader, window
    window.ctx.ops.wait()
    devices.close()
    kiosk.close()
    reader.close()


def set_language(window, code: str) -> None:
    window.language_box.setCurrentIndex(window.language_box.findData(code))


def enrol_directly(kiosk, window, reader, user, password, *, person) -> None:
    """Enrol through the core (the dialog's own path is tested once, below)."""
    session = kiosk.authentication.login(user_id=user, password=password)
    reader.fingers(*[(RIGHT_INDEX, i) for i in range(STAGES)], person=person)
    window.ctx.fingerprints.enrol(session, password=password, finger="Right IndexFinger")


def test_enrol_from_home_then_unlock_and_sign_in_by_finger(qtbot, kiosk_with_reader):
    kiosk, reader, window = kiosk_with_reader
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    home = window.screens["home"]
    assert home.fingerprint_button.isVisible()
    qtbot.mouseClick(home.fingerprint_button, LEFT)
    dialog = home.fingerprint_dialog
    qtbot.waitUntil(lambda: dialog.status is not None and dialog.status.available, timeout=20_000)
    assert "ready" in dialog.state.text() and dialog.listing.text() == "No finger enrolled on this kiosk yet."
    dialog.password.setText(OPERATOR[2])
    reader.fingers(*[(RIGHT_INDEX, i) for i in range(STAGES)], person=PERSON)
    qtbot.mouseClick(dialog.enrol_button, LEFT)
    qtbot.waitUntil(lambda: "Touch 2 of 5" in dialog.progress.text(), timeout=20_000)
    assert dialog.enrol_button.text() == "Stop" and not dialog.password.isEnabled()
    shot(dialog, "enrol-progress-eng")
    qtbot.waitUntil(lambda: "enrolled" in dialog.progress.text(), timeout=30_000)
    qtbot.waitUntil(lambda: "Right index finger: enrolled" in dialog.listing.text())
    assert dialog.enrol_button.text() == "Enrol this finger again"
    shot(dialog, "enrol-done-eng")
    set_language(window, "ara")
    assert dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    shot(dialog, "enrol-done-ara")
    set_language(window, "eng")
    dialog.reject()

    window.lock()  # the lock screen offers the same officer's finger
    lock = window.screens["lock"]
    qtbot.waitUntil(lambda: lock.fingerprint.isVisible(), timeout=20_000)
    reader.fingers((RIGHT_INDEX, 6), person=PERSON)
    qtbot.mouseClick(lock.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=20_000)

    window.lock()
    qtbot.mouseClick(window.screens["lock"].switch, LEFT)  # sign out
    qtbot.waitUntil(lambda: window.current_name() == "login")
    login = window.screens["login"]
    qtbot.waitUntil(lambda: login.fingerprint.isVisible(), timeout=20_000)
    shot(window, "login-eng")
    set_language(window, "ara")
    shot(window, "login-ara")
    set_language(window, "eng")
    reader.fingers((RIGHT_INDEX, 7), person=PERSON)
    qtbot.mouseClick(login.fingerprint.use, LEFT)  # no id typed: the reader finds whose finger it is
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=20_000)
    assert window.ctx.session.user_id == OPERATOR[0]

    window.lock()
    qtbot.mouseClick(window.screens["lock"].switch, LEFT)
    qtbot.waitUntil(
        lambda: window.current_name() == "login" and login.fingerprint.isVisible(), timeout=20_000
    )
    login.user.setText(OPERATOR[0])
    reader.fingers((LEFT_INDEX, 0), person=PERSON)  # a finger op1 never enrolled
    qtbot.mouseClick(login.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: "does not match" in login.message.text(), timeout=20_000)
    left = int(kiosk.master_data.config("login.max_failures", 5)) - 1  # this wrong finger counted
    assert f"Attempts left before the account locks: {left}." in login.message.text()
    assert window.current_name() == "login"
    with kiosk.store.transaction() as conn:
        failures = conn.execute(text("SELECT failures FROM login_state WHERE user_id = 'op1'")).scalar_one()
    assert failures == 1
    shot(window, "login-refused-eng")


def test_supervisor_approval_reauth_and_end_of_day_by_finger(qtbot, kiosk_with_reader):
    kiosk, reader, window = kiosk_with_reader
    enrol_directly(kiosk, window, reader, SUPERVISOR[0], SUPERVISOR[2], person=SUP_PERSON)
    enrol_directly(kiosk, window, reader, OPERATOR[0], OPERATOR[2], person=PERSON)
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")

    def supervisor_dialog(operator_id: str) -> SupervisorDialog:
        dialog = SupervisorDialog(
            window.ctx,
            purpose="registration.exceptions",
            reasons=["exceptions"],
            missing=[("Left IndexFinger", "amputated")],
            operator_id=operator_id,
            parent=window,
        )
        dialog.open()
        qtbot.waitUntil(lambda: dialog.fingerprint.isVisible(), timeout=20_000)
        return dialog

    dialog = supervisor_dialog(OPERATOR[0])
    shot(dialog, "supervisor-eng")
    set_language(window, "ara")
    own = supervisor_dialog(SUPERVISOR[0])
    shot(own, "supervisor-ara")
    reader.fingers((RIGHT_INDEX, 5), person=SUP_PERSON)
    qtbot.mouseClick(own.fingerprint.use, LEFT)  # the supervisor's own registration: refused
    qtbot.waitUntil(lambda: bool(own.message.text()), timeout=20_000)
    assert SUPERVISOR[0] in own.message.text() and own.supervisor_id is None and own.isVisible()
    own.reject()
    set_language(window, "eng")
    reader.fingers((RIGHT_INDEX, 6), person=SUP_PERSON)
    qtbot.mouseClick(dialog.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=20_000)
    assert dialog.supervisor_id == SUPERVISOR[0]

    reauth = ReauthDialog(window.ctx, purpose="registration.sign_off", parent=window)
    reauth.open()
    qtbot.waitUntil(lambda: reauth.fingerprint.isVisible(), timeout=20_000)
    shot(reauth, "reauth-eng")
    reauth.reject()
    set_language(window, "ara")
    reauth = ReauthDialog(window.ctx, purpose="registration.sign_off", parent=window)
    reauth.open()
    qtbot.waitUntil(lambda: reauth.fingerprint.isVisible(), timeout=20_000)
    reader.fingers((LEFT_INDEX, 0), person=PERSON)
    qtbot.mouseClick(reauth.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: "البصمة غير مطابقة" in reauth.message.text(), timeout=20_000)
    shot(reauth, "reauth-refused-ara")
    reader.fingers((RIGHT_INDEX, 8), person=PERSON)
    qtbot.mouseClick(reauth.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: reauth.result() == QDialog.DialogCode.Accepted, timeout=20_000)
    set_language(window, "eng")

    window.ctx.session = kiosk.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[2])
    approve = ApproveAllDialog(window.ctx, [], parent=window)
    approve.open()
    qtbot.waitUntil(lambda: approve.fingerprint.isVisible(), timeout=20_000)
    reader.fingers((RIGHT_INDEX, 9), person=SUP_PERSON)
    qtbot.mouseClick(approve.fingerprint.use, LEFT)
    qtbot.waitUntil(lambda: approve.result() == QDialog.DialogCode.Accepted, timeout=20_000)


def test_without_libfprint_nothing_is_offered_and_the_kiosk_says_why(qtbot, tmp_path):
    kiosk = seeded_kiosk(tmp_path / "kiosk")

    def missing():
        raise DeviceUnavailableError("libfprint is not available on this system (PyGObject is not installed)")

    devices = DeviceCapture(lambda: DeviceManager({"fprint": missing}))
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.resize(1200, 820)
    window.show()
    try:
        login = window.screens["login"]
        window.ctx.ops.wait()
        qtbot.wait(200)
        assert not login.fingerprint.isVisible()
        sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
        qtbot.waitUntil(lambda: window.current_name() == "home")
        qtbot.waitUntil(
            lambda: "Fingerprint readers (libfprint)" in window.device_bar.items.text(), timeout=10_000
        )
        assert "PyGObject" in window.device_bar.items.toolTip()
        home = window.screens["home"]
        qtbot.mouseClick(home.fingerprint_button, LEFT)
        dialog = home.fingerprint_dialog
        qtbot.waitUntil(lambda: dialog.status is not None, timeout=10_000)
        assert "libfprint" in dialog.state.text() and not dialog.enrol_button.isEnabled()
        shot(dialog, "enrol-unavailable-eng")
        set_language(window, "ara")
        shot(window, "home-unavailable-ara")
        shot(dialog, "enrol-unavailable-ara")
        set_language(window, "eng")
        dialog.reject()
    finally:
        window.ctx.ops.wait()
        devices.close()
        kiosk.close()

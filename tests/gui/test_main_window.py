"""Drive the real main window over a real kiosk store: login, lockout, auto-lock, wizard, languages."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.ui.theme import HIGH_CONTRAST
from demo.kiosk_fixture import OPERATOR, SUPERVISOR

from .conftest import sign_in


def test_wrong_password_then_lockout_is_explained(qtbot, window):
    login = sign_in(qtbot, window, OPERATOR[0], "nope")
    qtbot.waitUntil(lambda: "wrong password" in login.message.text())
    assert "Attempts left before the account locks: 2." in login.message.text()
    assert window.current_name() == "login"
    for _ in range(2):  # demo config: 3 failures lock the account
        sign_in(qtbot, window, OPERATOR[0], "nope")
        qtbot.waitUntil(lambda: login.submit.isEnabled())
    assert "locked" in login.message.text()
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])  # even the right password is refused while locked
    qtbot.waitUntil(lambda: login.submit.isEnabled() and "locked" in login.message.text())
    assert window.current_name() == "login"


def test_login_home_autolock_and_unlock_by_same_officer(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home.cards["pending_approval"].number.text() == "0")
    assert home.new_button.isVisible() and not home.eod_button.isVisible()
    window.autolock.set_timeout(150)
    window.autolock.arm()
    qtbot.waitUntil(lambda: window.current_name() == "lock", timeout=3000)
    lock = window.screens["lock"]
    assert not lock.user.isEnabled() and lock.user.text() == OPERATOR[0]
    lock.password.setText("wrong")
    lock.attempt()
    qtbot.waitUntil(lambda: lock.submit.isEnabled() and bool(lock.message.text()))
    assert window.current_name() == "lock"
    lock.password.setText(OPERATOR[2])
    lock.attempt()
    qtbot.waitUntil(lambda: window.current_name() == "home")
    assert not window.ctx.session.locked


def test_input_keeps_the_kiosk_unlocked(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.autolock.set_timeout(400)
    window.autolock.arm()
    for _ in range(4):
        qtbot.wait(150)
        qtbot.keyClick(window.screens["home"], Qt.Key.Key_Shift)
    assert window.current_name() == "home"


def test_wizard_from_ui_spec_validates_cascades_and_reaches_documents(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    qtbot.mouseClick(window.screens["home"].new_button, Qt.MouseButton.LeftButton)
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages))
    page = wizard.pages[0]
    assert list(page.inputs)[:4] == ["consent", "fullName", "dateOfBirth", "gender"]
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.stack.currentIndex() == 0 and page.errors["fullName"].text()
    page.set_values(
        {"consent": "I_AGREE", "fullName": "Amina Diallo", "dateOfBirth": "1991-04-12", "gender": "FLE"}
        | {"region": "R1"}
    )
    province = page.inputs["province"]
    assert [province.itemData(i) for i in range(1, province.count())] == ["P1"]
    page.set_values({"province": "P1", "city": "C1", "addressLine": "12 Palm Street"})
    assert not page.inputs["guardianName"].isVisible()  # adult: the spec hides the guardian
    qtbot.keyClick(page.inputs["fullName"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert wizard.stack.currentIndex() == 1, wizard.message.text()
    assert wizard.registration.step.value == "documents"
    assert wizard.registration.values["fullName"] == "Amina Diallo"
    wizard.back()
    assert wizard.stack.currentIndex() == 0 and wizard.registration.step.value == "demographics"


def test_language_switch_is_immediate_and_arabic_is_right_to_left(qtbot, window):
    sign_in(qtbot, window, SUPERVISOR[0], SUPERVISOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.screens["home"].new_button.text() == "تسجيل جديد"
    window.language_box.setCurrentIndex(window.language_box.findData("fra"))
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert window.lock_button.text() == "Verrouiller"


def test_high_contrast_theme_switches(qtbot, window):
    window.contrast.setChecked(True)
    assert HIGH_CONTRAST.accent in QApplication.instance().styleSheet()  # the yellow of high contrast
    window.contrast.setChecked(False)
    assert HIGH_CONTRAST.accent not in QApplication.instance().styleSheet()

"""The supervisor dialog says what it approves, Enter approves (never cancels), and nobody approves
their own registration."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from client.ui.i18n import tr
from client.ui.screens.supervisor_dialog import SupervisorDialog
from demo.kiosk_fixture import OPERATOR, SUPERVISOR


def _dialog(qtbot, window, **kw):
    dialog = SupervisorDialog(
        window.ctx,
        purpose="registration.exceptions",
        reasons=["exceptions"],
        missing=[("Left IndexFinger", "amputated")],
        parent=window,
        **kw,
    )
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.mark.parametrize("field", ["totp", "password"])
def test_enter_in_the_code_or_password_field_submits(qtbot, window, field):
    dialog = _dialog(qtbot, window, operator_id=OPERATOR[0])
    dialog.user.setText(SUPERVISOR[0])
    dialog.password.setText(SUPERVISOR[2])
    dialog.totp.setText("000000")
    closed = []
    dialog.finished.connect(closed.append)
    box = getattr(dialog, field)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.message.text()))
    assert dialog.message.text() == tr("auth.bad_totp", "eng")  # checked, not cancelled
    assert dialog.isVisible() and closed == []
    qtbot.keyClick(dialog.totp, Qt.Key.Key_Escape)  # Escape still cancels
    assert not dialog.isVisible() and closed == [QDialog.DialogCode.Rejected]


def test_the_dialog_says_what_it_approves_in_words(qtbot, window):
    dialog = _dialog(qtbot, window)
    text = dialog.why.text()
    assert tr("approval.exceptions", "eng") in text and "Left index finger (amputated)" in text
    window.ctx.language.set("ara")
    dialog = _dialog(qtbot, window)
    assert tr("bio.subtype.Left_IndexFinger", "ara") in dialog.why.text()


def test_a_supervisor_is_refused_on_their_own_registration(qtbot, window):
    dialog = _dialog(qtbot, window, operator_id=SUPERVISOR[0])
    dialog.user.setText(SUPERVISOR[0])
    dialog.password.setText(SUPERVISOR[2])
    dialog.attempt()
    qtbot.waitUntil(lambda: bool(dialog.message.text()))
    assert dialog.message.text() == tr("auth.own_registration", "eng", user=SUPERVISOR[0])
    assert dialog.supervisor_id is None

"""Each new applicant starts clean: empty pre-registration box, focus in the first field, no Back."""

from PySide6.QtCore import Qt

from demo.kiosk_fixture import OPERATOR

from .conftest import sign_in


def _new_applicant(qtbot, window):
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
    return wizard


def test_each_applicant_starts_on_a_clean_first_step(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.activateWindow()
    wizard = _new_applicant(qtbot, window)
    first = next(iter(wizard.pages[0].inputs.values()))
    qtbot.waitUntil(first.hasFocus)
    assert not wizard.back_button.isEnabled()
    wizard.prereg.setText("PRE-PREVIOUS")  # the last applicant's id, typed or scanned
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    assert window.current_name() == "home"
    old = wizard.registration
    wizard = _new_applicant(qtbot, window)
    qtbot.waitUntil(lambda: wizard.registration is not old)
    assert wizard.prereg.text() == ""
    assert not wizard.back_button.isEnabled()
    qtbot.waitUntil(next(iter(wizard.pages[0].inputs.values())).hasFocus)

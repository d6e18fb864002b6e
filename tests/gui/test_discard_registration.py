"""Cancel and closing the window ask before a registration in progress is discarded; with nothing to
lose they do not ask."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from client.core.registration.workflow import Step
from client.ui.i18n import tr
from demo.kiosk_fixture import OPERATOR

from .conftest import sign_in


def _open_wizard(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.registration is not None)
    return wizard


def _answer(qtbot, wizard, answer: str) -> None:
    box = wizard.discard_box
    qtbot.waitUntil(lambda: box is not None and box.isVisible())
    qtbot.mouseClick(box.findChild(QPushButton, f"discard_{answer}"), Qt.MouseButton.LeftButton)


def test_cancel_without_work_does_not_ask(qtbot, window):
    wizard = _open_wizard(qtbot, window)
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    assert window.current_name() == "home" and wizard.discard_box is None


def test_cancel_with_work_asks_in_the_kiosk_language(qtbot, window):
    wizard = _open_wizard(qtbot, window)
    window.ctx.language.set("fra")
    wizard.pages[0].inputs["fullName"].setText("Amina Diallo")
    registration = wizard.registration
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    box = wizard.discard_box
    assert box.text() == tr("discard.title", "fra") and box.informativeText() == tr("discard.text", "fra")
    assert box.findChild(QPushButton, "discard_yes").text() == tr("discard.yes", "fra")
    _answer(qtbot, wizard, "no")
    assert window.current_name() == "registration" and registration.step is Step.DEMOGRAPHICS
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    _answer(qtbot, wizard, "yes")
    assert window.current_name() == "home" and registration.step is Step.CANCELLED


def test_closing_the_window_during_a_registration_asks(qtbot, window):
    wizard = _open_wizard(qtbot, window)
    wizard.pages[0].inputs["fullName"].setText("Amina Diallo")
    window.close()
    _answer(qtbot, wizard, "no")
    assert window.isVisible()
    window.close()
    _answer(qtbot, wizard, "yes")
    qtbot.waitUntil(lambda: not window.isVisible())


def test_closing_with_nothing_in_progress_does_not_ask(qtbot, window):
    _open_wizard(qtbot, window)
    window.close()
    assert not window.isVisible() and window.screens["registration"].discard_box is None

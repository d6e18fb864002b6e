"""Keyboard use (Enter on a focused button, Alt+arrows in the wizard, PgDown scrolls) and the text size
setting (applies at once, stacks with high contrast, kept across a restart)."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.ui.app import build_window
from client.ui.display_settings import DisplaySettings, load_display
from client.ui.theme import BASE_POINT_SIZE, stylesheet
from demo.kiosk_fixture import OPERATOR

from .conftest import sign_in


def _signed_in(qtbot, window):
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10_000)


def test_enter_clicks_the_focused_button_on_a_screen(qtbot, window):
    _signed_in(qtbot, window)
    home = window.screens["home"]
    home.new_button.setFocus()
    qtbot.keyClick(home.new_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_name() == "registration")


def test_wizard_alt_arrows_move_and_page_down_scrolls(qtbot, window):
    window.resize(1024, 768)
    _signed_in(qtbot, window)
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages))
    page = wizard.pages[0]
    bar = wizard.stack.currentWidget().verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the demo form is longer than a 1024×768 screen
    qtbot.keyClick(page.inputs["fullName"], Qt.Key.Key_PageDown)
    assert bar.value() > 0 and wizard.stack.currentIndex() == 0 and not wizard.message.text()
    qtbot.keyClick(page.inputs["fullName"], Qt.Key.Key_PageUp)
    assert bar.value() == 0
    qtbot.keyClick(page.inputs["fullName"], Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert wizard.message.text()  # Next was tried: the empty form is refused
    page.set_values({"consent": "I_AGREE", "fullName": "Amina Diallo", "dateOfBirth": "1991-04-12"})
    page.set_values({"gender": "FLE"})
    page.set_values({"region": "R1", "province": "P1", "city": "C1", "addressLine": "12 Palm St"})
    qtbot.keyClick(page.inputs["fullName"], Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert wizard.stack.currentIndex() == 1, wizard.message.text()
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert wizard.stack.currentIndex() == 0


def test_text_size_applies_at_once_stacks_with_contrast_and_is_kept(qtbot, window, kiosk):
    app = QApplication.instance()
    window.text_size.setCurrentIndex(window.text_size.findData(150))
    assert app.font().pointSize() == round(BASE_POINT_SIZE * 1.5)
    assert "font-size: 33pt" in app.styleSheet()  # the title grows too (22pt × 1.5)
    window.contrast.setChecked(True)
    assert app.font().pointSize() == round((BASE_POINT_SIZE + 2) * 1.5)
    assert stylesheet(high_contrast=True, text_scale=1.5) == app.styleSheet()
    assert window.brand.font().pointSize() == round((BASE_POINT_SIZE + 2) * 1.5)  # the open window too
    assert load_display(kiosk.settings.data_dir) == DisplaySettings(text_size=150, high_contrast=True)
    again = build_window(kiosk)  # a restart keeps the choice
    qtbot.addWidget(again)
    assert again.text_size.currentData() == 150 and again.contrast.isChecked()
    again.text_size.setCurrentIndex(again.text_size.findData(100))
    again.contrast.setChecked(False)
    assert app.font().pointSize() == BASE_POINT_SIZE


def test_focus_ring_takes_no_room_from_the_text():
    for high_contrast in (False, True):
        sheet = stylesheet(high_contrast=high_contrast)
        focus_rules = [line for line in sheet.splitlines() if ":focus" in line]
        assert focus_rules and all("border-color" in r and "px" not in r for r in focus_rules)


def test_the_language_list_shows_the_language_the_kiosk_opened_in(qtbot, kiosk):
    window = build_window(kiosk, language="ara")
    qtbot.addWidget(window)
    assert window.language_box.currentData() == "ara"

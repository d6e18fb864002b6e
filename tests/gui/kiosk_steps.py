"""GUI steps shared by the end-to-end kiosk tests: first-run enrolment, then a new registration filled
up to the biometrics page (the demo operator signed in, one person, every document attached)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from demo.headless import CENTER_ID, OPERATOR, OPERATOR_PASSWORD

from .conftest import sign_in


def first_options(page):
    """Pick the first option of every dropdown/location, in form order (parents before children)."""
    for widget in page.inputs.values():
        if hasattr(widget, "findData") and widget.count() > 1:
            widget.setCurrentIndex(1)
    return page.values()


def enrol(qtbot, window, server_url: str) -> None:
    """Enrol the kiosk with ``server_url`` for the demo centre from the setup screen."""
    qtbot.waitUntil(lambda: window.current_name() == "setup")
    setup = window.screens["setup"]
    setup.server.setText(server_url)
    setup.center.setText(CENTER_ID)
    qtbot.mouseClick(setup.enrol_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: setup.done_button.isVisible(), timeout=60_000)
    qtbot.mouseClick(setup.done_button, Qt.MouseButton.LeftButton)


def start_registration_to_biometrics(qtbot, window, tmp_path: Path):
    """Sign in as the demo operator, fill one person's demographics and attach every document; return
    the wizard, now on the biometrics page."""
    sign_in(qtbot, window, OPERATOR, OPERATOR_PASSWORD)
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10_000)
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages), timeout=10_000)
    page = wizard.pages[0]
    page.set_values(
        {
            "fullName": "Amina Diallo",
            "dateOfBirth": "1991-04-12",
            "addressLine": "12 Palm St",
            "phone": "+000 555 0101",
        }
    )
    for _ in range(4):  # cascades: each pass fills the next level
        first_options(page)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    docs = wizard.stack.currentWidget()
    assert type(docs).__name__ == "DocumentsPage", wizard.message.text()
    scan = tmp_path / "passport.png"
    window.grab().save(str(scan))
    for field_id in docs.field_ids:
        docs.attach(field_id, scan)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    return wizard

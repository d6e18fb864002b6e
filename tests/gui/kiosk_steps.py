"""GUI steps shared by the end-to-end kiosk tests: first-run enrolment, then a new registration filled
up to the biometrics page (the demo operator signed in, one person, every document attached), a capture
key press, the supervisor's approval, and the sign-off that seals the packet and opens it again."""

from __future__ import annotations

from pathlib import Path

import pyotp
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from client.ui.app import build_window
from demo import kiosk_fixture
from demo.headless import CENTER_ID, OPERATOR, OPERATOR_PASSWORD
from shared.packet.reader import open_packet
from shared.signing import public_key_b64

from .conftest import sign_in


def answer_next_question(*, yes: bool, seen: list[str] | None = None) -> None:
    """Answer the next Yes/No box the kiosk asks (it is modal: arm this before the click that opens it);
    its text is appended to ``seen``."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        if seen is not None:
            seen.append(box.text())
        wanted = QMessageBox.ButtonRole.YesRole if yes else QMessageBox.ButtonRole.NoRole
        next(b for b in box.buttons() if box.buttonRole(b) == wanted).click()

    QTimer.singleShot(0, press)


def first_options(page):
    """Pick the first option of every dropdown/location, in form order (parents before children)."""
    for widget in page.inputs.values():
        if hasattr(widget, "findData") and widget.count() > 1:
            widget.setCurrentIndex(1)
    return page.values()


def choose_document_type(docs, field_id: str, doc_type: str | None = None) -> None:
    """Choose ``doc_type`` (default: the first offered) in the type list of a documents-page row, as the
    officer must before attaching or capturing that document."""
    combo = docs.types[field_id]
    combo.setCurrentIndex(combo.findData(doc_type) if doc_type else 0)
    assert combo.currentData(), f"{doc_type} is not offered for {field_id}"


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
            "consent": "I_AGREE",  # the applicant agreed (issue 14)
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
        choose_document_type(docs, field_id)
        docs.attach(field_id, scan)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    return wizard


def answer_reauth(password: str, *, seen: list[str] | None = None) -> None:
    """Type ``password`` into the next sign-off password dialog and confirm it (the dialog is modal: arm
    this before the click or Ctrl+Enter that opens it); any refusal shown before is appended to ``seen``."""

    def press() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "reauth_dialog":
            QTimer.singleShot(20, press)
            return
        if seen is not None and dialog.message.text():
            seen.append(dialog.message.text())
        dialog.password.setText(password)
        dialog.confirm.click()

    QTimer.singleShot(0, press)


def approve_all_with_password(qtbot, eod, password: str) -> None:
    """End of day: Approve all, Yes to the count, then the signed-in supervisor's password (Enter)."""
    answer_next_question(yes=True)
    qtbot.mouseClick(eod.approve_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.objectName() == "eod_password_dialog")
    eod.dialog.password.setText(password)
    qtbot.keyClick(eod.dialog.password, Qt.Key.Key_Return)


def tick_consent(qtbot, page) -> None:
    """The applicant agrees: the officer focuses the consent checkbox and presses Space (keyboard only)."""
    box = page.inputs["consent"]
    box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()


def open_registration(qtbot, kiosk, devices, *, size: tuple[int, int] = (1280, 860)):
    """The kiosk's window over ``devices``, the seeded kiosk's operator signed in and a new registration
    open on its first page; returns (window, wizard)."""
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    sign_in(qtbot, window, kiosk_fixture.OPERATOR[0], kiosk_fixture.OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
    return window, wizard


def press_capture(qtbot, window, page) -> None:
    """Capture (F5) on ``page`` as the officer does: the window active first, as a kiosk's is."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(page, Qt.Key.Key_F5)


def approve_as_supervisor(dialog) -> None:
    """The seeded kiosk's supervisor approves in the wizard's supervisor dialog: name, password, the
    authenticator's current code."""
    user, _name, password = kiosk_fixture.SUPERVISOR
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.totp.setText(pyotp.TOTP(kiosk_fixture.SUPERVISOR_TOTP).now())
    dialog.attempt()


def sign_off_and_open(qtbot, window, kiosk, identity, *, timeout: int = 20000):
    """From the end of the wizard: wait for the preview, sign off with the operator's password, wait
    for the sealed packet and open it with ``identity`` (the packet recipient's age key)."""
    qtbot.waitUntil(lambda: window.current_name() == "preview", timeout=15000)
    preview = window.screens["preview"]
    answer_reauth(kiosk_fixture.OPERATOR[2])
    qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.finished is not None or bool(preview.message.text()), timeout=timeout)
    assert preview.finished is not None, preview.message.text()
    return open_packet(
        preview.finished.packet_path,
        identities=[str(identity)],
        machine_public_key=public_key_b64(kiosk.machine.private_key()),
    )

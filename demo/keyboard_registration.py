"""The scripted keyboard-only registration the test and the GUI benchmark share (see
:mod:`demo.keyboard_officer`): the demo operator signs in, registers one adult with a missing finger,
the demo supervisor approves by Enter, the operator re-authenticates and signs off, and the receipt's
print preview opens. Returns the RID.

The kiosk window must be showing the login screen, with a document camera and the SBI simulator as its
devices; the demo master data is expected (the form's field order, the demo users).
"""

from __future__ import annotations

import pyotp

from demo.keyboard_officer import Key, KeyboardOfficer
from demo.kiosk_fixture import OPERATOR, SUPERVISOR, SUPERVISOR_TOTP


def register_by_keyboard(officer: KeyboardOfficer, window) -> str:
    from PySide6.QtCore import Qt

    ctrl = Qt.KeyboardModifier.ControlModifier
    login = window.screens["login"]
    officer.at("sign in")
    officer.wait("the login screen", lambda: login.user.hasFocus())
    officer.type(OPERATOR[0])
    officer.press(Key.Key_Tab)
    officer.type(OPERATOR[2])
    officer.press(Key.Key_Return)
    officer.wait("the home screen", lambda: window.current_name() == "home")

    officer.at("home")
    home = window.screens["home"]
    officer.wait("New registration focused", lambda: home.new_button.hasFocus())
    officer.press(Key.Key_Return)
    wizard = window.screens["registration"]
    officer.wait("the form", lambda: bool(wizard.pages) and wizard.pages[0].isVisible())

    officer.at("demographics")
    page = wizard.pages[0]
    officer.wait("the consent box focused", lambda: page.inputs["consent"].hasFocus())
    officer.press(Key.Key_Space)  # the applicant agreed to the text above it
    officer.wait("the consent ticked", lambda: page.value("consent") == "I_AGREE")
    officer.press(Key.Key_Tab)
    officer.wait("the first field focused", lambda: page.inputs["fullName"].hasFocus())
    officer.fill("Amina Diallo", "19910412", Key.Key_Down, "+000 555 0101", None)
    officer.fill(Key.Key_Down, Key.Key_Down, Key.Key_Down, Key.Key_Down, "12 Palm Street")
    officer.press(Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    officer.wait("the documents page", lambda: _page(wizard) == "DocumentsPage")

    officer.at("documents")
    docs = wizard.stack.currentWidget()
    officer.wait("the camera's picture", lambda: docs.view is not None and docs.view.frames_shown > 0)
    for field_id in docs.field_ids:
        officer.tab_to(f"doctype_{field_id}")
        officer.press(Key.Key_Down)  # the first type on the list
        officer.press(Key.Key_F5)  # the page under the camera becomes the document
        officer.wait(f"{field_id} captured", lambda f=field_id: f in wizard.registration.documents)
    officer.press(Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    officer.wait("the biometrics page", lambda: _page(wizard) == "BiometricsPage")

    officer.at("biometrics")
    reg = wizard.registration
    officer.tab_to("exception_Left_IndexFinger")
    officer.press(Key.Key_Space)  # marked missing (reason: missing)
    groups = list(dict.fromkeys(g for g, _m, _s in reg.required_slots()))
    for group in groups:
        officer.press(Key.Key_F5)  # captures the group the side list shows, which then moves on
        officer.wait(f"{group} captured", lambda g=group: reg.attempts.get(g, 0) >= 1, timeout_s=30)
    officer.press(Key.Key_F7)
    officer.wait("the exception photo", lambda: reg.exception_photo is not None)
    officer.press(Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    officer.wait("the supervisor's dialog", lambda: wizard.supervisor_dialog is not None)

    officer.at("supervisor approval")
    dialog = wizard.supervisor_dialog
    officer.wait("the supervisor id focused", lambda: dialog.user.hasFocus())
    officer.type(SUPERVISOR[0])
    officer.press(Key.Key_Tab)
    officer.type(SUPERVISOR[2])
    officer.press(Key.Key_Tab)
    officer.type(pyotp.TOTP(SUPERVISOR_TOTP).now())
    officer.press(Key.Key_Return)
    officer.wait("the preview", lambda: window.current_name() == "preview")

    officer.at("sign-off")
    preview = window.screens["preview"]
    officer.wait("Sign off focused", lambda: preview.sign_button.hasFocus())
    officer.press(Key.Key_Return, ctrl)
    officer.wait("the password dialog", lambda: preview.reauth_dialog is not None)
    officer.wait("the password focused", lambda: preview.reauth_dialog.password.hasFocus())
    officer.type(OPERATOR[2])
    officer.press(Key.Key_Return)
    officer.wait("the packet sealed", lambda: preview.finished is not None, timeout_s=30)

    officer.at("receipt")
    officer.wait("Print focused", lambda: preview.print_button.hasFocus())
    officer.press(Key.Key_Return)
    officer.wait("the receipt's print preview", lambda: _showing(preview, "preview_dialog"), timeout_s=30)
    officer.press(Key.Key_Escape)
    officer.wait("the print preview closed", lambda: not _showing(preview, "preview_dialog"))
    return preview.finished.rid


def _showing(screen, dialog: str) -> bool:
    shown = getattr(screen, dialog, None)
    return shown is not None and shown.isVisible()


def _page(wizard) -> str:
    return type(wizard.stack.currentWidget()).__name__

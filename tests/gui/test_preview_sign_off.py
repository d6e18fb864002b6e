"""The preview step: the applicant's photo, document thumbnails and a worded per-finger grid in English
and Arabic; Edit links back to a step with the work kept; sign-off only after the officer's password
again (Ctrl+Enter too), a wrong one worded with attempts left and counted toward the lockout."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from sqlalchemy import text

from client.core.registration.workflow import Step
from client.ui.i18n import tr
from client.ui.screens.registration import load_form_inputs
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, SampleBiometricSource
from demo.samples import capture_group

from .conftest import sign_in
from .kiosk_steps import answer_reauth


def _png() -> bytes:
    image = QImage(120, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("steelblue"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def at_preview(window, kiosk, *, skip_finger: bool = False):
    """A registration at the preview step (built through the core), shown on the preview screen."""
    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg, options = load_form_inputs(window.ctx, None)
    window.ctx.extras["form_options"] = options
    assert reg.submit_demographics(SAMPLE_PERSON).ok
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=_png()
    )
    assert reg.submit_documents().ok
    for group in {g for g, _, _ in reg.required_slots()}:
        reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
    if skip_finger:
        reg.mark_exception(modality="finger", bio_subtype="Left LittleFinger", reason="amputated")
        reg.set_exception_photo(b"photo")
    assert reg.submit_biometrics() == {}
    if reg.step is Step.SUPERVISOR_APPROVAL:
        reg.approve_by_supervisor(supervisor_id="sup1")
    preview = window.screens["preview"]
    preview.load(reg)
    window.show_screen("preview")
    return preview


def test_preview_shows_photo_thumbnails_and_a_worded_grid_in_english_and_arabic(qtbot, window, kiosk):
    preview = at_preview(window, kiosk, skip_finger=True)
    doc = preview.summary.document()
    image = QTextDocument.ResourceType.ImageResource
    assert not doc.resource(image, QUrl("preview:face")).isNull()  # the applicant's face capture
    assert not doc.resource(image, QUrl("preview:doc/proofOfIdentity")).isNull()  # the thumbnail
    shown = preview.summary.toPlainText()
    assert "Left index finger" in shown and "quality 90, needs 60: accepted ✔" in shown
    assert "⚠ Left little finger" in shown and "Marked missing: amputated" in shown
    assert "Left IndexFinger" not in shown and "finger/" not in shown  # never the raw codes
    assert all(f"edit:{s}" in preview.summary.toHtml() for s in ("demographics", "documents", "biometrics"))
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    shown = preview.summary.toPlainText()
    assert tr("bio.subtype.Left_IndexFinger", "ara") in shown
    assert tr("bio.quality_ok", "ara", quality=90, threshold=60) in shown
    assert tr("preview.edit", "ara") in shown and "Left IndexFinger" not in shown


def test_edit_goes_back_to_the_step_and_returns_with_the_work_kept(qtbot, window):
    window.ctx.devices = SampleBiometricSource()
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages))
    wizard.pages[0].set_values(SAMPLE_PERSON)
    wizard.next()
    docs = wizard.current_page()
    wizard.registration.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=_png()
    )
    wizard.next()
    bio = wizard.current_page()
    for group in bio.panels:
        bio.capture(group)
        qtbot.waitUntil(lambda g=group: wizard.registration.attempts.get(g, 0) >= 1)
    wizard.next()
    qtbot.waitUntil(lambda: window.current_name() == "preview")
    preview = window.screens["preview"]
    captured = dict(wizard.registration.captures)

    preview.summary.anchorClicked.emit(QUrl("edit:demographics"))  # the Edit link of the details
    assert window.current_name() == "registration" and wizard.current_page() is wizard.pages[0]
    assert wizard.pages[0].values()["fullName"] == SAMPLE_PERSON["fullName"]
    wizard.pages[0].set_values({"fullName": "Amina B. Diallo"})
    wizard.next()
    assert wizard.current_page() is docs and "proofOfIdentity" in wizard.registration.documents
    wizard.next()
    wizard.next()  # biometrics unchanged: straight back to the preview
    qtbot.waitUntil(lambda: window.current_name() == "preview")
    assert "Amina B. Diallo" in preview.summary.toPlainText()
    assert wizard.registration.captures == captured

    preview.edit(Step.BIOMETRICS)
    assert wizard.current_page() is bio and wizard.registration.step is Step.BIOMETRICS


def test_sign_off_needs_the_officers_password_again(qtbot, window, kiosk):
    preview = at_preview(window, kiosk)
    seen: list[str] = []
    answer_reauth("wrong")
    qtbot.keyClick(preview, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter signs off
    qtbot.waitUntil(lambda: preview.reauth_dialog is not None and bool(preview.reauth_dialog.message.text()))
    dialog = preview.reauth_dialog
    assert dialog.isVisible() and preview.finished is None  # refused: nothing sealed
    assert dialog.message.text() == tr("reauth.wrong_password", "eng") + " " + tr(
        "auth.attempts_left", "eng", remaining=2
    )
    answer_reauth(OPERATOR[2], seen=seen)
    qtbot.waitUntil(lambda: preview.finished is not None or bool(preview.message.text()), timeout=15000)
    assert preview.finished is not None, preview.message.text()
    assert preview.finished.packet_path.exists() and not dialog.isVisible()
    with kiosk.store.transaction() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY seq"))]
    assert actions.count("reauth.failed") == 1 and "reauth" in actions


def test_escape_cancels_and_wrong_passwords_lock_the_account(qtbot, window, kiosk):
    preview = at_preview(window, kiosk)
    preview.sign_off()
    dialog = preview.reauth_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and preview.registration.step is Step.PREVIEW
    qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
    dialog = preview.reauth_dialog
    for _ in range(3):  # the fixture locks after three failures, as login does
        qtbot.keyClicks(dialog.password, "bad")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter submits
        qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=10000)
    assert dialog.message.property("locked_out") and "locked" in dialog.message.text()
    assert preview.finished is None
    with kiosk.store.transaction() as conn:
        locked_until = conn.execute(
            text("SELECT locked_until FROM login_state WHERE user_id = 'op1'")
        ).scalar()
    assert locked_until is not None

"""End of day (issue 14): a packet opens with its summary and acknowledgement; the reject reason is
picked from master data; approving every packet needs the supervisor's password again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from client.ui.screens.registration import load_form_inputs
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, SUPERVISOR
from demo.samples import capture_group

from .kiosk_steps import answer_next_question


def pending_packets(window, kiosk, n: int) -> list[str]:
    """Seal ``n`` registrations through the core (no exception, so no supervisor on the spot)."""
    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    rids = []
    for _ in range(n):
        reg, _options = load_form_inputs(window.ctx, None)
        reg.submit_demographics(SAMPLE_PERSON)
        reg.add_document(
            field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=b"x"
        )
        reg.submit_documents()
        for group in {g for g, _, _ in reg.required_slots()}:
            reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
        assert reg.submit_biometrics() == {}
        rids.append(kiosk.registrations.finish(session=window.ctx.session, registration=reg).rid)
    window.ctx.session = kiosk.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[2])
    return rids


def status_of(kiosk, rid):
    with kiosk.store.transaction() as conn:
        return tuple(
            conn.execute(
                text("SELECT status, review_reason FROM registrations WHERE rid = :r"), {"r": rid}
            ).one()
        )


def open_eod(qtbot, window, n: int):
    window.show_screen("end_of_day")
    eod = window.screens["end_of_day"]
    qtbot.waitUntil(lambda: eod.table.rowCount() == n, timeout=10000)
    return eod


def test_enter_on_a_row_opens_the_summary_and_the_acknowledgement(qtbot, window, kiosk):
    (rid,) = pending_packets(window, kiosk, 1)
    eod = open_eod(qtbot, window, 1)
    eod.table.setFocus()
    eod.table.setCurrentCell(0, 0)
    qtbot.keyClick(eod.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.isVisible())
    dialog = eod.dialog
    shown = {caption: label.text() for caption, label in dialog.fields.items()}
    assert shown["Name"] == SAMPLE_PERSON["fullName"] and shown["RID"] == rid
    assert shown["Age"].endswith(" years") and shown["Documents"] == "1"
    assert shown["Officer"] == OPERATOR[0] and shown["Marked missing (reason)"] == "none"
    assert "Finger" in shown["Biometrics captured"] or "finger" in shown["Biometrics captured"]
    qtbot.waitUntil(lambda: dialog.page_count > 0, timeout=20000)  # the stored receipt, rasterised
    qtbot.mouseClick(dialog.approve, Qt.MouseButton.LeftButton)  # the decision from inside the dialog
    qtbot.waitUntil(lambda: status_of(kiosk, rid)[0] == "approved")


def test_a_reject_reason_from_the_master_data_list_is_stored(qtbot, window, kiosk):
    (rid,) = pending_packets(window, kiosk, 1)
    eod = open_eod(qtbot, window, 1)
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    eod.table.setCurrentCell(0, 0)  # (selectRow picks no cell when right-to-left in Qt 6)
    qtbot.mouseClick(eod.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.objectName() == "eod_reject_dialog")
    dialog = eod.dialog
    index = dialog.reasons.findData("PHOTO_MISMATCH")
    assert dialog.reasons.itemText(index) == "الصورة لا تطابق الشخص"  # the label in the kiosk language
    dialog.reasons.setCurrentIndex(index)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(kiosk, rid)[0] == "rejected")
    assert status_of(kiosk, rid)[1] == "Photo does not match the person"  # head office reads English


def test_approve_all_is_refused_without_the_supervisors_password(qtbot, window, kiosk):
    rids = pending_packets(window, kiosk, 2)
    eod = open_eod(qtbot, window, 2)
    answer_next_question(yes=True)
    qtbot.mouseClick(eod.approve_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.objectName() == "eod_password_dialog")
    dialog = eod.dialog
    dialog.password.setText("not-the-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter submits
    qtbot.waitUntil(lambda: bool(dialog.message.text()))
    assert "wrong password" in dialog.message.text() and dialog.isVisible() and not dialog.password.text()
    assert [status_of(kiosk, r)[0] for r in rids] == ["pending_approval"] * 2
    dialog.password.setText(SUPERVISOR[2])
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: eod.table.rowCount() == 0, timeout=10000)
    assert [status_of(kiosk, r)[0] for r in rids] == ["approved"] * 2 and not dialog.isVisible()

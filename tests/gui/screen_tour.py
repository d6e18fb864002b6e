"""Drive a seeded kiosk through every screen and hand each one, as shown, to a visitor: login, setup,
home, each wizard page (form, documents, biometrics), the supervisor dialog, the discard question,
preview, end of day, sync centre and the lock screen. Used by the translation and layout tests."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QWidget

from client.core.registration.repository import Registrations
from client.ui.screens.supervisor_dialog import SupervisorDialog
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, SUPERVISOR
from demo.samples import capture_group

from .conftest import sign_in
from .kiosk_steps import choose_document_type


class SampleDevices:
    """A capture source giving the core's generated records (quality 85), with a document camera (no
    picture yet), so the documents page is walked with its camera panel beside the rows."""

    has_document_camera = True

    def capture_group(self, group, *, exceptions=()):
        return [r for r in capture_group(group, seed=1, quality=85) if r.bio_subtype not in exceptions]

    def preview_frame(self, group):
        return None

    def status(self):
        """One device in each state the home screen words."""
        return {"finger": "ready", "iris": "busy", "face": "not ready", "document": "unplugged"}


def tour(qtbot, window, visit: Callable[[str, QWidget], None], tmp_path, client) -> None:
    """Show each screen of ``window`` (built on ``client``) in turn and call ``visit(name, widget)``."""

    def settle() -> None:
        window.ctx.ops.wait()
        qtbot.wait(30)

    settle()
    window.show_screen("login")
    visit("login", window)
    window.show_screen("setup")
    visit("setup", window)
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10_000)
    settle()
    visit("home", window)
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages), timeout=10_000)
    visit("form (empty)", window)
    wizard.scan_prereg()  # this kiosk has no scanning camera: the wizard says so
    visit("form (no camera)", window)
    wizard.next()  # validation messages on every required field
    visit("form (errors)", window)
    wizard.pages[0].set_values(SAMPLE_PERSON)
    wizard.next()
    visit("documents", window)
    docs = wizard.current_page()
    scan = tmp_path / "passport.png"
    window.grab().save(str(scan))
    for field_id in docs.field_ids:
        choose_document_type(docs, field_id)
        docs.attach(field_id, scan)
    visit("documents (attached)", window)
    wizard.next()
    bio = wizard.current_page()
    visit("biometrics", window)
    group = next(iter(bio.panels))
    bio.capture(group)
    qtbot.waitUntil(lambda: wizard.registration.attempts.get(group, 0) >= 1, timeout=10_000)
    settle()
    bio.side.select(group)  # the list moved on: back to the group just captured, its bars in words
    visit("biometrics (captured)", window)
    wizard.next()  # missing captures: errors
    visit("biometrics (errors)", window)
    reg = wizard.registration
    dialog = SupervisorDialog(
        window.ctx, purpose="registration.exceptions", reasons=["exceptions", "poor_quality"],
        missing=[("Left IndexFinger", "")], operator_id=reg.operator_id, parent=window,
    )  # fmt: skip
    dialog.show()
    visit("supervisor dialog", dialog)
    dialog.close()
    wizard.cancel()
    qtbot.waitUntil(lambda: wizard.discard_box is not None and wizard.discard_box.isVisible())
    visit("discard question", wizard.discard_box)
    wizard.discard_box.reject()
    for g in {g for g, _, _ in reg.required_slots()}:
        reg.record_capture(group=g, records=capture_group(g, seed=1, quality=90))
    reg.submit_biometrics()
    preview = window.screens["preview"]
    preview.load(reg)
    window.show_screen("preview")
    visit("preview", window)
    for name in ("end_of_day", "sync"):  # as an operator: end of day refuses, in words
        window.show_screen(name)
        settle()
        visit(name, window)
    window.screens["sync"].start()  # no server configured: the failure is worded
    settle()
    qtbot.waitUntil(lambda: window.screens["sync"].now_button.isEnabled(), timeout=10_000)
    visit("sync (failed)", window)
    signed_off_screens(qtbot, window, visit, client)
    window.lock()
    settle()
    visit("lock", window)
    QApplication.processEvents()


def signed_off_screens(qtbot, window, visit: Callable[[str, QWidget], None], client) -> None:
    """From the preview on screen: its password question, the receipt after sign-off, end of day with
    that packet as a supervisor (the packet's summary, the reject reason), and the sync centre once head
    office has rejected it."""
    preview = window.screens["preview"]
    window.show_screen("preview")
    preview.sign_off()
    visit("sign-off password", preview.reauth_dialog)
    preview.reauth_dialog.password.setText(OPERATOR[2])
    preview.reauth_dialog.confirm.click()
    qtbot.waitUntil(lambda: preview.finished is not None, timeout=20_000)
    window.ctx.ops.wait()
    visit("preview (signed off)", window)
    rid = preview.finished.rid
    window.ctx.session = window.ctx.authentication.login(user_id=SUPERVISOR[0], password=SUPERVISOR[2])
    window.show_screen("end_of_day")
    eod = window.screens["end_of_day"]
    qtbot.waitUntil(lambda: eod.table.rowCount() == 1, timeout=10_000)
    visit("end_of_day (rows)", window)
    eod.open_packet(0)
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.page_count > 0, timeout=20_000)
    visit("end_of_day (packet)", eod.dialog)
    eod.dialog.reject()
    eod.table.setCurrentCell(0, 0)
    eod.ask_reject()
    qtbot.waitUntil(lambda: eod.dialog.objectName() == "eod_reject_dialog" and eod.dialog.isVisible())
    visit("end_of_day (reject reason)", eod.dialog)
    eod.dialog.reject()
    eod.review([rid], approve=True)
    qtbot.waitUntil(lambda: eod.table.rowCount() == 0, timeout=10_000)
    with client.store.transaction() as conn:  # as a sync round leaves it once head office said no
        packets = Registrations(conn)
        packets.mark_uploaded(rid=rid, at="2026-01-01T10:00:00+00:00")
        packets.record_outcome(
            rid=rid, status="rejected", uin=None, reason="duplicate", reason_code="duplicate",
            at="2026-01-01T11:00:00+00:00",
        )  # fmt: skip
    window.show_screen("sync")
    sync = window.screens["sync"]
    qtbot.waitUntil(lambda: sync.table.rowCount() == 1, timeout=10_000)
    visit("sync (rejected)", window)

"""A full registration in the real window: demographics, document file, biometrics with one missing
finger, supervisor approval (password + TOTP), preview, sign-off (sealed by a file sealer on the core's
PacketSealer port), receipt saved as PDF; then end-of-day figures on home."""

import hashlib
import json

import pyotp
import pytest
from PySide6.QtCore import Qt

from client.core.registration.sealing import SealedFile
from client.ui.app import build_window
from client.ui.i18n import tr
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, SUPERVISOR, SUPERVISOR_TOTP, seeded_kiosk
from demo.samples import capture_group

from .conftest import sign_in
from .kiosk_steps import answer_next_question, answer_reauth, approve_all_with_password, choose_document_type


class FileSealer:
    """Implements the core's PacketSealer port with a plain file (shared.packet is another area's)."""

    def seal(self, *, registration, rid, meta, audit, out_dir):
        body = json.dumps({"meta": meta, "id": registration.demographics}, default=str).encode()
        path = out_dir / f"{rid}.pkt"
        path.write_bytes(body)
        return SealedFile(rid, path, hashlib.sha256(body).hexdigest(), len(body))

    def find(self, *, rid, out_dir):
        return None


class SampleDevices:
    """A capture source giving the core's generated ISO-style records; counts preview frames."""

    def __init__(self):
        self.captures = 0

    def capture_group(self, group, *, exceptions=()):
        self.captures += 1
        return [
            r for r in capture_group(group, seed=self.captures, quality=85) if r.bio_subtype not in exceptions
        ]

    def preview_frame(self, group):
        return None


@pytest.fixture
def flow_window(qtbot, tmp_path):
    client = seeded_kiosk(tmp_path / "kiosk", sealer=FileSealer())
    devices = SampleDevices()
    win = build_window(client, devices=devices)
    qtbot.addWidget(win)
    win.resize(1200, 820)
    win.show()
    yield win
    win.ctx.ops.wait()
    client.close()


def test_full_registration_with_missing_finger_and_supervisor(qtbot, flow_window, tmp_path, monkeypatch):
    window = flow_window
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages))
    wizard.pages[0].set_values(SAMPLE_PERSON)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    docs = wizard.stack.currentWidget()
    assert type(docs).__name__ == "DocumentsPage"
    scan = tmp_path / "passport.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 2048)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.stack.currentWidget() is docs and docs.errors["proofOfIdentity"].text()  # required
    choose_document_type(docs, "proofOfIdentity", "passport")
    docs.attach("proofOfIdentity", scan)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    bio = wizard.stack.currentWidget()
    assert type(bio).__name__ == "BiometricsPage"
    bio.panels["left_slap"].markers["Left IndexFinger"].setChecked(True)  # the missing finger
    for group in bio.panels:
        qtbot.keyClick(bio, Qt.Key.Key_F5)
        qtbot.waitUntil(lambda g=group: wizard.registration.attempts.get(g, 0) >= 1)
    assert bio.panels["thumbs"].bars["Left Thumb"].value() == 85
    assert bio.panels["thumbs"].message.text() == tr("bio.accepted", "eng")
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))  # the outcome follows
    assert bio.panels["thumbs"].message.text() == tr("bio.accepted", "ara")
    window.language_box.setCurrentIndex(window.language_box.findData("eng"))
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert "exception photo" in bio.errors.text()
    bio.take_exception_photo()
    qtbot.waitUntil(lambda: wizard.registration.exception_photo is not None)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    dialog = wizard.supervisor_dialog
    dialog.user.setText(SUPERVISOR[0])
    dialog.password.setText(SUPERVISOR[2])
    dialog.totp.setText("000000")
    dialog.attempt()
    qtbot.waitUntil(lambda: dialog.approve.isEnabled() and bool(dialog.message.text()))
    assert "one-time code" in dialog.message.text()
    dialog.password.setText(SUPERVISOR[2])
    dialog.totp.setText(pyotp.TOTP(SUPERVISOR_TOTP).now())
    dialog.attempt()
    qtbot.waitUntil(lambda: window.current_name() == "preview")
    preview = window.screens["preview"]
    assert (
        "Amina Diallo" in preview.summary.toPlainText()
        and "⚠ Left index finger" in preview.summary.toPlainText()  # the missing finger, in words
    )
    answer_reauth(OPERATOR[2])
    qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.finished is not None, timeout=10000)
    assert preview.finished.rid in preview.result.text()
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))  # the sealed screen follows
    assert preview.result.text() == tr("preview.done", "ara", rid=preview.finished.rid)
    assert "الاسم الكامل" in preview.summary.toPlainText() and "Amina Diallo" in preview.summary.toPlainText()
    window.language_box.setCurrentIndex(window.language_box.findData("eng"))
    saved = tmp_path / "receipt.pdf"
    preview.save_pdf(str(saved))
    qtbot.waitUntil(saved.exists)  # exported from the encrypted store on the worker thread
    assert saved.read_bytes().startswith(b"%PDF")
    preview.print_preview()  # rasterised from the store's bytes, no plaintext file in between
    qtbot.waitUntil(lambda: getattr(preview, "preview_dialog", None) is not None, timeout=10000)
    preview.preview_dialog.close()
    qtbot.mouseClick(preview.home_button, Qt.MouseButton.LeftButton)
    home = window.screens["home"]
    qtbot.waitUntil(lambda: home.cards["pending_approval"].number.text() == "1")

    # End of day: the supervisor signs in, sees the packet, approves it in bulk.
    window.screens["lock"].switch.click()
    qtbot.waitUntil(lambda: window.current_name() == "login")
    sign_in(qtbot, window, SUPERVISOR[0], SUPERVISOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    assert home.eod_button.isVisible()
    qtbot.mouseClick(home.eod_button, Qt.MouseButton.LeftButton)
    eod = window.screens["end_of_day"]
    qtbot.waitUntil(lambda: eod.table.rowCount() == 1)
    assert eod.table.item(0, 0).text() == preview.finished.rid
    assert eod.table.item(0, 1).text().startswith("Amina Diallo")
    assert "exceptions: 1" in eod.table.item(0, 2).text()
    assert "Left index finger" in eod.table.item(0, 2).toolTip()  # the exception in words, not a code
    eod.ask_reject()  # nothing selected: said, nothing happens
    assert "Select the packets" in eod.message.text()
    eod.table.selectRow(0)
    eod.ask_reject()  # issue 14: the reason comes from a list; "Other" with no words is refused
    qtbot.waitUntil(lambda: eod.dialog is not None and eod.dialog.isVisible())
    reject = eod.dialog
    reject.reasons.setCurrentIndex(reject.reasons.findData("other"))
    reject.note_edit.setText("   ")
    reject.attempt()
    assert "Give a reason" in reject.message.text() and reject.isVisible()
    reject.reject()
    assert eod.table.rowCount() == 1  # the packet stays
    asked: list[str] = []
    answer_next_question(yes=False, seen=asked)  # Approve all asks once more; No keeps everything
    qtbot.mouseClick(eod.approve_all_button, Qt.MouseButton.LeftButton)
    assert asked == ["Approve all packets (1)? They are then uploaded."] and eod.table.rowCount() == 1
    approve_all_with_password(qtbot, eod, SUPERVISOR[2])  # issue 14: the password again
    qtbot.waitUntil(lambda: eod.table.rowCount() == 0 and eod.empty.isVisible())

    # The sync centre lists the approved packet as queued before any run.
    window.show_screen("sync")
    sync = window.screens["sync"]
    qtbot.waitUntil(lambda: sync.table.rowCount() == 1)
    assert sync.table.item(0, 0).text() == preview.finished.rid
    assert sync.table.item(0, 2).text() == "approved"


def test_sync_centre_explains_an_unreachable_server(qtbot, tmp_path):
    from demo.kiosk_fixture import seeded_kiosk as seed

    client = seed(tmp_path / "k")
    client.settings.server_url = (
        f"http://127.0.0.1:{__import__('tests.support.ports', fromlist=['x']).free_port()}"
    )
    client.settings.request_timeout_s = 1.0
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
    qtbot.waitUntil(lambda: window.current_name() == "home")
    window.show_screen("sync")
    sync = window.screens["sync"]
    qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not sync.running, timeout=15000)
    assert sync.message.text() and sync.now_button.text() == "Retry"
    sync.toggle_pause()
    assert not sync.now_button.isEnabled() and sync.pause_button.text() == "Resume"
    window.ctx.ops.wait()
    client.close()


def test_sealing_failure_is_explained_and_not_signed_twice(qtbot, window, kiosk):
    from client.ui.screens.registration import load_form_inputs

    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    reg, _options = load_form_inputs(window.ctx, None)
    reg.submit_demographics(SAMPLE_PERSON)
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.png", content_type="image/png", data=b"x"
    )
    reg.submit_documents()
    for group, _m, _s in {(g, None, None) for g, _, _ in reg.required_slots()}:
        reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
    assert reg.submit_biometrics() == {} and reg.step.value == "preview"
    window.screens["preview"].load(reg)
    window.show_screen("preview")
    preview = window.screens["preview"]
    answer_reauth(OPERATOR[2])
    preview.sign_off()
    qtbot.waitUntil(lambda: preview.finished is not None or bool(preview.message.text()), timeout=15000)
    if preview.finished is None:  # the packet builder is not available in this build
        assert not preview.sign_button.isVisible() and preview.home_button.isVisible()
    else:  # the real shared.packet sealer: a sealed packet and a receipt
        assert preview.finished.packet_path.exists() and preview.print_button.isVisible()

"""The document camera in the real window: scanning a pre-registration QR code prefills the form, and
the live document preview's Capture stores the frame on screen as the document, which reaches the
sealed packet.

The camera is the project's OpenCV adapter over cv2.VideoCapture on a generated video file, wired by
the same ``client.core.bootstrap.device_capture`` the kiosk uses for its ``document_camera`` setting;
the barcode reader is device_drivers' own (pyzbar / zxing-cpp).
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pyrage
import pytest
import segno
from PySide6.QtCore import Qt

from client.core.capture import DeviceCapture
from client.ui.app import build_window
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, seeded_kiosk
from demo.samples import capture_group
from demo.synthetic import synthetic_document
from shared.signing import public_key_b64
from tests.support.devices import kiosk_devices

from .conftest import sign_in
from .kiosk_steps import answer_reauth, choose_document_type

PREREG_ID = "PRE-2026-7788"


def write_video(path: Path, frames: list[np.ndarray]) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 480))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def with_qr(frame: np.ndarray, text: str) -> np.ndarray:
    """Paste a QR code made by segno (independent of the decoders under test) onto a camera frame."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=5, border=4)
    qr = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    out = frame.copy()
    h, w = qr.shape[:2]
    out[240 - h // 2 : 240 - h // 2 + h, 420 - w // 2 : 420 - w // 2 + w] = qr
    return out


def press(qtbot, window, widget, key) -> None:
    """A shortcut key as the officer presses it: shortcuts go to the active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(widget, key)


def camera_source(video: Path) -> DeviceCapture:
    devices = kiosk_devices(document_camera=str(video))
    assert set(devices.status()) == {"document", "barcode"}
    return devices


@pytest.fixture
def open_window(qtbot):
    opened = []

    def open_(kiosk, devices):
        window = build_window(kiosk, devices=devices)
        qtbot.addWidget(window)
        window.resize(1200, 820)
        window.show()
        opened.append((window, devices))
        sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
        qtbot.waitUntil(lambda: window.current_name() == "home")
        window.show_screen("registration")
        wizard = window.screens["registration"]
        qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
        return window, wizard

    yield open_
    for window, devices in opened:
        if window.screens["registration"].scan_dialog is not None:
            window.screens["registration"].scan_dialog.reject()
        window.ctx.ops.wait()
        if devices is not None:
            devices.close()


def test_scanning_a_pre_registration_qr_prefills_the_form(qtbot, kiosk, open_window, tmp_path):
    kiosk.registrations.cache_preregistration(
        prereg_id=PREREG_ID, data={"fullName": "Karim Nasser", "gender": "MLE", "region": "R2"}
    )
    blank = [synthetic_document(seed=i) for i in range(10)]  # the slip is not under the camera yet
    video = write_video(tmp_path / "slip.avi", blank + [with_qr(f, PREREG_ID) for f in blank])
    _window, wizard = open_window(kiosk, camera_source(video))
    assert wizard.prereg_scan.isVisible()
    qtbot.mouseClick(wizard.prereg_scan, Qt.MouseButton.LeftButton)
    dialog = wizard.scan_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.view.frames_shown >= 3, timeout=10000)  # the live picture runs
    qtbot.waitUntil(lambda: wizard.registration.prereg_id == PREREG_ID, timeout=15000)
    assert not dialog.isVisible() and dialog.code == PREREG_ID
    assert wizard.prereg.text() == PREREG_ID
    page = wizard.pages[0]
    qtbot.waitUntil(lambda: page.value("fullName") == "Karim Nasser")
    assert page.value("gender") == "MLE" and page.value("region") == "R2"
    assert PREREG_ID in wizard.prereg_status.text() and not wizard.message.text()


def test_scan_timeout_cancel_and_no_camera_are_explained(qtbot, kiosk, open_window, tmp_path):
    video = write_video(tmp_path / "nothing.avi", [synthetic_document(seed=i) for i in range(5)])
    window, wizard = open_window(kiosk, camera_source(video))
    wizard.scan_prereg(timeout_s=1.0)
    dialog = wizard.scan_dialog
    qtbot.waitUntil(
        lambda: "No barcode or QR code was read within 1 s" in dialog.message.text(), timeout=10000
    )
    assert dialog.again_button.isVisible() and dialog.view.frames_shown > 0
    qtbot.mouseClick(dialog.again_button, Qt.MouseButton.LeftButton)  # scans again, then the officer gives up
    assert dialog.scanning and not dialog.message.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and "Scanning cancelled" in wizard.message.text()
    qtbot.waitUntil(lambda: not dialog.scanning, timeout=5000)  # the worker let go of the camera feed
    assert wizard.registration.prereg_id is None and not dialog.message.text()

    window.ctx.devices = None  # no camera at all
    press(qtbot, window, wizard, Qt.Key.Key_F6)
    assert "No camera is connected" in wizard.message.text()


def kiosk_with_known_recipient(data_dir: Path) -> tuple[object, str]:
    """A seeded kiosk whose packets are sealed to an age identity this test holds (the server's part)."""
    identity = pyrage.x25519.Identity.generate()
    return seeded_kiosk(data_dir, recipient=str(identity.to_public())), str(identity)


def test_document_preview_capture_reaches_the_sealed_packet(qtbot, open_window, tmp_path):
    from shared.packet.reader import open_packet

    kiosk, identity = kiosk_with_known_recipient(tmp_path / "kiosk")
    page_frames = [synthetic_document(title="PASSPORT", lines=("P<DIALLO<<AMINA",), seed=i) for i in range(8)]
    video = write_video(tmp_path / "desk.avi", page_frames)
    try:
        window, wizard = open_window(kiosk, camera_source(video))
        wizard.pages[0].set_values(SAMPLE_PERSON)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        docs = wizard.stack.currentWidget()
        assert type(docs).__name__ == "DocumentsPage" and docs.view is not None
        assert docs.target == "proofOfIdentity" and "Proof of identity" in docs.target_label.text()
        qtbot.waitUntil(lambda: docs.view.frames_shown >= 5, timeout=10000)  # live preview
        assert docs.view.last_image.width() == 640
        choose_document_type(docs, "proofOfIdentity", "passport")
        press(qtbot, window, docs, Qt.Key.Key_F5)  # Capture: the frame on screen becomes the document
        qtbot.waitUntil(lambda: "proofOfIdentity" in wizard.registration.documents, timeout=10000)
        doc = wizard.registration.documents["proofOfIdentity"]
        assert doc.content_type == "image/jpeg" and doc.doc_type == "passport"
        stored = cv2.imdecode(np.frombuffer(doc.data, np.uint8), cv2.IMREAD_COLOR)
        assert stored.shape == (480, 640, 3)
        assert np.abs(stored.astype(int) - page_frames[0].astype(int)).mean() < 6  # it is the camera's page
        assert docs.status["proofOfIdentity"].text().startswith("✔")
        assert docs.target != "proofOfIdentity"  # the camera moved on to the next missing document

        reg = wizard.registration
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        assert type(wizard.stack.currentWidget()).__name__ == "BiometricsPage"
        assert not docs.view.isVisible()  # leaving the page stops the preview
        for group in dict.fromkeys(g for g, _m, _s in reg.required_slots()):
            reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.current_name() == "preview")
        preview = window.screens["preview"]
        answer_reauth(OPERATOR[2])
        qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: preview.finished is not None or bool(preview.message.text()), timeout=15000)
        assert preview.finished is not None, preview.message.text()
        opened = open_packet(
            preview.finished.packet_path,
            identities=[identity],
            machine_public_key=public_key_b64(kiosk.machine.private_key()),
        )
        [sealed_doc] = [d for d in opened.contents.documents if d.doc_type == "passport"]
        assert sealed_doc.data == doc.data and sealed_doc.content_type == "image/jpeg"
    finally:
        window.ctx.ops.wait()
        kiosk.close()


def test_scanning_with_a_camera_that_gives_no_picture_says_why(tmp_path):
    source = kiosk_devices(document_camera=str(tmp_path / "unplugged.avi"))
    try:
        with pytest.raises(LookupError, match="camera is not working: No camera, video file"):
            source.scan_code(timeout_s=1.5)
    finally:
        source.close()

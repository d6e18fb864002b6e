"""Device glue: device_drivers-style devices (the BiometricDevice protocol) feed the biometrics page."""

import time

from PySide6.QtWidgets import QPushButton

from client.core.registration.biometrics import CAPTURE_GROUPS
from client.ui.device_source import DeviceBiometricSource
from client.ui.screens.biometrics_page import icao_checklist
from device_drivers.base import (
    CaptureResult,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    Modality,
    PreviewFrame,
)

IDENTITY = DeviceIdentity(make="OpenReg", model="SIM-1", serial="42")


class ProtocolDevice:
    """Implements device_drivers.base.BiometricDevice over in-memory images."""

    def __init__(self, modality):
        self.modality = Modality(modality)

    def info(self):
        return DeviceInfo(
            key=f"sim-{self.modality}", modality=self.modality, identity=IDENTITY, status=DeviceStatus.READY
        )

    def stream(self, *, sub_id=0, timeout_s=30.0):
        for i in range(1000):
            time.sleep(0.01)
            yield PreviewFrame(jpeg=b"\xff\xd8\xff" + bytes([i % 256]), image=None, timestamp=time.time())

    def capture(self, *, bio_subtypes, exceptions=None, requested_score=40, timeout_s=10.0):
        extra = {"one_face": "ok", "sharpness": "ok", "exposure": "low"} if self.modality == "face" else {}
        return [
            CaptureResult(
                modality=self.modality,
                bio_subtype=s,
                iso_record=b"FIR\x00" + s.encode(),
                image_format="png",
                quality=77,
                identity=IDENTITY,
                captured_at="now",
                duration_s=0.1,
                extra=extra,
            )
            for s in bio_subtypes
        ]


def test_capture_preview_status_and_face_checks():
    source = DeviceBiometricSource({m: ProtocolDevice(m) for m in ("finger", "face")})
    try:
        records = source.capture_group("left_slap")
        assert [r.bio_subtype for r in records] == list(CAPTURE_GROUPS["left_slap"][1])
        assert records[0].quality == 77 and records[0].device["serial"] == "42"
        source.capture_group("face")
        assert icao_checklist(source.checks["face"]) == "✔ one face   ✔ sharpness   ✘ exposure"
        deadline = time.time() + 3
        frame = None
        while frame is None and time.time() < deadline:
            frame = source.preview_frame("thumbs")
            time.sleep(0.02)
        assert frame and frame.startswith(b"\xff\xd8\xff")
        assert source.status() == {"finger": "ready", "face": "ready"}
        try:
            source.capture_group("irises")
        except LookupError as exc:
            assert "no iris device" in str(exc)
        else:
            raise AssertionError("a missing iris device must be reported")
    finally:
        source.close()


class DocumentCamera:
    modality = Modality.DOCUMENT

    def capture_document(self):
        return CaptureResult(
            modality=Modality.DOCUMENT,
            bio_subtype="",
            iso_record=b"\xff\xd8\xffscan",
            image_format="jpeg",
            quality=90,
            identity=IDENTITY,
            captured_at="now",
            duration_s=0.2,
        )


def test_document_camera_attaches_to_the_registration(qtbot, window, kiosk):
    from client.ui.screens.documents_page import DocumentsPage
    from client.ui.screens.registration import load_form_inputs
    from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON

    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    window.ctx.devices = DeviceBiometricSource({"document": DocumentCamera()})
    registration, options = load_form_inputs(window.ctx, None)
    registration.submit_demographics(SAMPLE_PERSON)
    page = DocumentsPage(
        registration=registration, ctx=window.ctx, screen_id="documents", options=options, language="eng"
    )
    qtbot.addWidget(page)
    camera_button = page.findChild(QPushButton, "doccamera_proofOfIdentity")
    assert camera_button is not None
    page.capture_camera("proofOfIdentity")
    qtbot.waitUntil(lambda: "proofOfIdentity" in registration.documents)
    doc = registration.documents["proofOfIdentity"]
    assert doc.content_type == "image/jpeg" and doc.data.endswith(b"scan") and doc.doc_type == "passport"
    window.ctx.devices.close()

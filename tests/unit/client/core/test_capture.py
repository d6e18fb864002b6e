"""The kiosk's capture port over a real DeviceManager with in-memory devices: groups, face checks,
previews, status, missing devices, and every device call on that device's own thread."""

import threading
import time

import pytest

from client.core.capture import DeviceCapture, NoDevice
from client.core.registration.biometrics import CAPTURE_GROUPS
from client.ui.screens.biometric_words import icao_checklist  # how the page shows the checks
from device_drivers.base import Modality
from tests.support.devices import DocumentCamera, ProtocolDevice, capture_over


def test_capture_preview_status_and_face_checks():
    source = capture_over(*(ProtocolDevice(m) for m in ("finger", "face")))
    try:
        records = source.capture_group("left_slap")
        assert [r.bio_subtype for r in records] == list(CAPTURE_GROUPS["left_slap"][1])
        assert records[0].quality == 77 and records[0].device["serial"] == "42"
        [face] = source.capture_group("face")
        assert face.bio_subtype == "Face"
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


def test_exceptions_are_not_captured():
    source = capture_over(ProtocolDevice("finger"))
    try:
        records = source.capture_group("left_slap", exceptions=("Left LittleFinger",))
        assert "Left LittleFinger" not in {r.bio_subtype for r in records} and len(records) == 3
    finally:
        source.close()


def test_nothing_is_built_or_touched_before_the_first_blocking_call():
    built = []

    def factory():
        built.append(True)
        raise AssertionError("must not be built on the UI thread")

    source = DeviceCapture(factory)
    assert source.preview_frame("face") is None and not source.has_document_camera
    assert source.scan_camera is None and built == []
    source.close()
    with pytest.raises(NoDevice):
        source.capture_group("face")


class ThreadCheckingDevice(ProtocolDevice):
    """Records, for every device call, which of the threads the manager gave it ran it."""

    def __init__(self, modality):
        super().__init__(modality)
        self.managed = None  # the ManagedDevice, once the manager handed the device out
        self.calls: list[tuple[str, str]] = []

    def _note(self, name):
        managed, where = self.managed, "elsewhere"
        if managed is not None and managed.thread.owns_current_thread():
            where = "device thread"
        elif managed is not None and managed.preview_thread.owns_current_thread():
            where = "preview thread"
        self.calls.append((name, where))

    def capture(self, **kwargs):
        self._note("capture")
        return super().capture(**kwargs)

    def stream(self, **kwargs):
        self._note("stream")
        for frame in super().stream(**kwargs):
            self._note("frame")
            yield frame

    def close(self):
        self._note("close")


def test_device_calls_run_on_the_device_threads_and_captures_do_not_wait_for_the_preview():
    face = ThreadCheckingDevice("face")
    source = capture_over(face)
    manager = source.refresh()
    face.managed = manager.device(Modality.FACE)
    assert face.managed.thread is not face.managed.preview_thread
    caller = threading.get_ident()
    try:
        deadline = time.time() + 3
        while source.preview_frame("face") is None and time.time() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        assert source.capture_group("face")  # while the preview streams
        assert time.monotonic() - started < 2  # not after the 10 s stream
        assert not face.managed.thread.owns_current_thread() and threading.get_ident() == caller
    finally:
        source.close()
    deadline = time.time() + 3
    while ("close", "device thread") not in face.calls and time.time() < deadline:
        time.sleep(0.02)
    where = {name: {w for n, w in face.calls if n == name} for name, _ in face.calls}
    assert where == {
        "stream": {"preview thread"},
        "frame": {"preview thread"},
        "capture": {"device thread"},
        "close": {"device thread"},
    }, face.calls


def test_document_capture_and_missing_scanner():
    source = capture_over(DocumentCamera())
    try:
        assert source.capture_document() == (b"\xff\xd8\xffscan", "image/jpeg")
        assert source.has_document_camera and source.scan_camera is None  # no barcode reader
        with pytest.raises(LookupError, match="No barcode decoder is available"):
            source.scan_code(timeout_s=0.5)
    finally:
        source.close()


def test_the_face_checklist_shows_verdicts_only_in_the_kiosk_language():
    """A camera's metrics and an SBI device's transaction id or hash are not checks: they never show as
    failed (✘); verdicts are worded in the kiosk language."""
    checks = {"face_checks": "passed", "sharpness": "412.50", "transaction_id": "ab12", "exposure": "low"}
    assert icao_checklist(checks) == "✔ face checks passed   ✘ exposure"
    assert icao_checklist(checks, "ara") == "✔ نجحت فحوص الوجه   ✘ الإضاءة"
    assert icao_checklist({"hash": "9f…", "brightness": "0.61"}) == ""


def test_a_fixed_drivers_status_check_runs_on_its_own_device_thread():
    """Discovery asks a camera whether it answers (that opens it): on the camera's thread, as every other
    call to it, not on the discovery thread."""

    class Camera(ProtocolDevice):
        key = "camera:face:0"

        def __init__(self):
            super().__init__("face")
            self.asked_on: list[str] = []

        def info(self):
            self.asked_on.append(threading.current_thread().name)
            return super().info()

    camera = Camera()
    source = capture_over(camera)
    try:
        source.refresh()
        source.refresh()
        assert camera.asked_on and all(name.startswith("device-camera:face:0_") for name in camera.asked_on)
    finally:
        source.close()

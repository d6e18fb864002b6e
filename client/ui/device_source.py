"""Glue from device_drivers' per-modality devices to the biometrics page's capture source.

Takes any objects implementing ``device_drivers.base.BiometricDevice`` (``capture(bio_subtypes=...)``,
``stream()``), duck-typed so this module imports neither device_drivers nor Qt. Each device gets its
own thread: captures run there (the UI's operation worker waits on it), and a preview thread keeps
only the newest frame so ``preview_frame`` never blocks the UI thread.

Cameras ("document", and "face" when it is a plain camera) feed the same preview path; with a barcode
reader ("barcode", device_drivers.barcode.BarcodeReader) they also scan codes: :meth:`scan_code` (on the operations' device lane) hands the
reader the newest preview frames until it reads one, so the officer sees exactly what is decoded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from device_drivers.base import DeviceTimeoutError


class DeviceBiometricSource:
    """``devices``: modality name ("finger", "iris", "face") -> a BiometricDevice."""

    def __init__(self, devices: dict[str, Any], *, capture=None, capture_timeout_s: float = 30.0) -> None:
        """``capture``: the core's capture adapter (client.core.capture.SbiCapture) when available; it
        knows the SBI sub-ids per group. Without it the devices are asked directly by subtype."""
        self._devices = devices
        self._capture = capture
        self._timeout = capture_timeout_s
        self._threads = {
            m: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"device-{m}") for m in devices
        }
        self._latest: dict[str, bytes] = {}
        self._frames: dict[str, tuple[int, Any]] = {}  # modality -> (sequence, newest PreviewFrame)
        self._new_frame = threading.Condition()
        self._frame_seq = 0  # across stream restarts, so a consumer never mistakes a new frame for a seen one
        self._streaming: dict[str, threading.Event] = {}
        self._stream_lock = threading.Lock()
        self.checks: dict[str, dict[str, str]] = {}
        self.preview_error: str | None = None  # face ICAO-lite checklist of the last capture

    def status(self) -> dict[str, str]:
        out = {}
        for modality, device in self._devices.items():
            try:
                out[modality] = str(self._threads[modality].submit(device.info).result(timeout=5).status)
            except Exception:  # a missing or hung device is reported, not raised
                out[modality] = "missing"
        return out

    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()) -> list[BiometricCapture]:
        modality, subtypes = CAPTURE_GROUPS[group]
        device = self._devices.get(modality)
        if device is None:
            raise LookupError(f"no {modality} device is connected")
        if self._capture is not None:
            job = self._threads[modality].submit(self._capture.capture_group, group, exceptions=exceptions)
            return job.result(self._timeout)
        wanted = [s for s in subtypes if s not in exceptions]
        results = self._threads[modality].submit(device.capture, bio_subtypes=wanted).result(self._timeout)
        if modality == "face" and results:
            self.checks[group] = dict(getattr(results[0], "extra", {}) or {})
        return [
            BiometricCapture(
                modality=modality,
                bio_subtype=r.bio_subtype,
                quality=int(r.quality),
                record=r.iso_record,
                format=str(r.image_format),
                device=r.identity.as_dict() if hasattr(r.identity, "as_dict") else dict(r.identity),
            )
            for r in results
        ]

    @property
    def has_document_camera(self) -> bool:
        return "document" in self._devices

    def capture_document(self) -> tuple[bytes, str]:
        """(encoded image, content type) from the document camera, on its device thread.

        While the live preview runs, the document is the newest preview frame (what the officer sees);
        without a preview the camera takes a single shot."""
        device = self._devices.get("document")
        if device is None:
            raise LookupError("no document camera is connected")
        frame = self._frames.get("document", (0, None))[1] if "document" in self._streaming else None
        if frame is not None and frame.image is not None and hasattr(device, "document_from_frame"):
            job = self._threads["document"].submit(device.document_from_frame, frame.image)
        else:
            job = self._threads["document"].submit(device.capture_document)
        result = job.result(self._timeout)
        kind = str(result.image_format).lower()
        return result.iso_record, {"jpeg": "image/jpeg", "jpg": "image/jpeg"}.get(kind, f"image/{kind}")

    @property
    def scan_camera(self) -> str | None:
        """The camera modality barcodes are scanned with (the document camera first), or None."""
        if "barcode" not in self._devices:
            return None
        return next((m for m in ("document", "face") if m in self._devices), None)

    def scan_code(self, *, timeout_s: float = 20.0, cancel: threading.Event | None = None) -> str:
        """Blocks (run it on the operations' device lane): the text of the first barcode/QR code the scan camera
        sees. Raises LookupError without a camera or decoder, and the reader's timeout/cancel errors."""
        modality = self.scan_camera
        if modality is None:
            what = "barcode decoder" if "barcode" not in self._devices else "camera"
            raise LookupError(
                f"No {what} is available to scan with. Type the number, or use a hand-held scanner."
            )
        cancel = cancel or threading.Event()
        self.preview_error = None
        try:
            result = self._devices["barcode"].scan(
                self.newest_frames(modality, stop=cancel.is_set), timeout_s=timeout_s, cancelled=cancel.is_set
            )
        except DeviceTimeoutError as exc:
            if modality not in self._frames and self.preview_error:  # not a single picture: say why
                raise LookupError(f"The camera is not working: {self.preview_error}") from exc
            raise
        return result.text.strip()

    def newest_frames(self, modality: str, *, stop: Callable[[], bool]) -> Iterator[Any]:
        """Each new preview frame of ``modality`` once (older ones are skipped while the consumer is
        busy), or None every 0.2 s while none arrives; ends when ``stop()`` is true."""
        seen, started = -1, 0.0
        while not stop():
            if modality not in self._streaming and time.monotonic() - started >= 1.0:
                started = time.monotonic()  # a failing camera is retried once a second, not in a tight loop
                self._start_stream(modality)
            with self._new_frame:
                self._new_frame.wait_for(lambda s=seen: self._frames.get(modality, (-1, None))[0] != s, 0.2)
                seq, frame = self._frames.get(modality, (-1, None))
            if seq == seen:
                yield None
                continue
            seen = seq
            yield frame

    def stop_preview(self, modality: str) -> None:
        """Stop streaming ``modality`` (its view was hidden); the next preview_frame starts it again."""
        stop = self._streaming.pop(modality, None)
        if stop is not None:
            stop.set()
        self._latest.pop(modality, None)
        with self._new_frame:
            self._frames.pop(modality, None)

    def preview_frame(self, group: str) -> bytes | None:
        modality = CAPTURE_GROUPS[group][0] if group in CAPTURE_GROUPS else group
        if modality in self._devices and modality not in self._streaming:
            self._start_stream(modality)
        return self._latest.pop(modality, None)  # each frame is shown once

    def _start_stream(self, modality: str) -> None:
        with self._stream_lock:  # the UI timer and a scan on the worker may both ask at once
            if modality in self._streaming:
                return
            stop = threading.Event()
            self._streaming[modality] = stop

        def pump() -> None:
            frames = None
            try:
                device = self._devices[modality]
                try:  # the UI shows the JPEG as is; skip decoding to arrays where the adapter allows it
                    frames = device.stream(decode=False)
                except TypeError:
                    frames = device.stream()
                for frame in frames:
                    if stop.is_set():
                        break
                    if frame.jpeg:
                        self._latest[modality] = frame.jpeg
                    with self._new_frame:
                        self._frame_seq += 1
                        self._frames[modality] = (self._frame_seq, frame)
                        self._new_frame.notify_all()
            except Exception as exc:  # preview is best effort; capture reports real errors
                self.preview_error = str(exc)
            finally:
                if self._streaming.get(modality) is stop:
                    self._streaming.pop(modality, None)
                close = getattr(frames, "close", None)
                if close:
                    close()  # ends the device's stream (e.g. the SBI HTTP response) right away

        threading.Thread(target=pump, name=f"preview-{modality}", daemon=True).start()

    def close(self) -> None:
        """Stop previews and release the devices (a webcam stays busy for other programs otherwise)."""
        for stop in self._streaming.values():
            stop.set()
        for modality, pool in self._threads.items():
            close = getattr(self._devices[modality], "close", None)
            if close is not None:
                pool.submit(close)  # after any capture in flight, on the device's own thread
            pool.shutdown(wait=False)

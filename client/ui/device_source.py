"""Glue from device_drivers' per-modality devices to the biometrics page's capture source.

Takes any objects implementing ``device_drivers.base.BiometricDevice`` (``capture(bio_subtypes=...)``,
``stream()``), duck-typed so this module imports neither device_drivers nor Qt. Each device gets its
own thread: captures run there (the UI's operation worker waits on it), and a preview thread keeps
only the newest frame so ``preview_frame`` never blocks the UI thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture


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
        self._streaming: dict[str, threading.Event] = {}
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
        """(encoded image, content type) from the document camera, on its device thread."""
        device = self._devices.get("document")
        if device is None:
            raise LookupError("no document camera is connected")
        result = self._threads["document"].submit(device.capture_document).result(self._timeout)
        kind = str(result.image_format).lower()
        return result.iso_record, {"jpeg": "image/jpeg", "jpg": "image/jpeg"}.get(kind, f"image/{kind}")

    def preview_frame(self, group: str) -> bytes | None:
        modality = CAPTURE_GROUPS[group][0] if group in CAPTURE_GROUPS else group
        if modality in self._devices and modality not in self._streaming:
            self._start_stream(modality)
        return self._latest.pop(modality, None)  # each frame is shown once

    def _start_stream(self, modality: str) -> None:
        stop = threading.Event()
        self._streaming[modality] = stop

        def pump() -> None:
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
            except Exception as exc:  # preview is best effort; capture reports real errors
                self.preview_error = str(exc)
            finally:
                self._streaming.pop(modality, None)

        threading.Thread(target=pump, name=f"preview-{modality}", daemon=True).start()

    def close(self) -> None:
        for stop in self._streaming.values():
            stop.set()
        for pool in self._threads.values():
            pool.shutdown(wait=False, cancel_futures=True)

"""Shared device vocabulary: statuses, identities, capture results, errors and per-modality Protocols.

Every adapter (SBI, OpenCV camera, barcode) implements one of the small Protocols below. All their
methods may block on device I/O; callers reach them through ``DeviceThread`` (device_thread.py) or the
``DeviceManager`` so the caller's (e.g. UI) thread never does device I/O itself.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class Modality(enum.StrEnum):
    FINGER = "finger"
    IRIS = "iris"
    FACE = "face"
    DOCUMENT = "document"
    BARCODE = "barcode"


class DeviceStatus(enum.StrEnum):
    READY = "ready"
    BUSY = "busy"
    NOT_READY = "not ready"
    NOT_REGISTERED = "not registered"
    UNPLUGGED = "unplugged"
    NOT_ALLOWED = "not allowed"  # plugged in, but master data (device_models) does not allow it


@dataclass(frozen=True)
class DeviceIdentity:
    """Who made the device; copied into every biometric record of a packet."""

    make: str
    model: str
    serial: str
    certification: str = ""
    device_provider: str = ""
    device_id: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "make": self.make,
            "model": self.model,
            "serial": self.serial,
            "certification": self.certification,
            "device_provider": self.device_provider,
            "device_id": self.device_id,
        }


@dataclass(frozen=True)
class DeviceInfo:
    """One discovered device: stable key for the manager, modality, identity and current status."""

    key: str
    modality: Modality
    identity: DeviceIdentity
    status: DeviceStatus
    sub_ids: tuple[int, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class CaptureResult:
    """One captured biometric/document image, ready to become a packet biometric record.

    ``iso_record`` holds the ISO/IEC 19794 record (finger FIR, face FAC, iris IIR) for biometrics, or the
    plain encoded image for documents. ``image_format`` is "jp2", "png" or "jpeg" (payload inside the
    record). ``quality`` is 0-100. ``captured_at``/``duration_s`` are the timing.
    """

    modality: Modality
    bio_subtype: str
    iso_record: bytes
    image_format: str
    quality: int
    identity: DeviceIdentity
    captured_at: str
    duration_s: float
    exception: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreviewFrame:
    """One preview frame: encoded JPEG bytes and/or a decoded BGR array (numpy), plus its time."""

    jpeg: bytes | None
    image: object | None
    timestamp: float


class DeviceError(Exception):
    """Base of every device error. ``str(error)`` is the technical message (for the log); ``device_error``
    is a stable code a front end words in the officer's language."""

    device_error = "failed"


class DeviceUnavailableError(DeviceError):
    """The driver cannot run here (e.g. an optional library is missing)."""

    device_error = "unavailable"


class DeviceNotFoundError(DeviceError):
    """No device for this modality is plugged in or answering."""

    device_error = "not_found"


class DeviceBusyError(DeviceError):
    device_error = "busy"


class DeviceNotReadyError(DeviceError):
    device_error = "not_ready"


class DeviceTimeoutError(DeviceError):
    device_error = "timeout"


class DeviceDisconnectedError(DeviceError):
    """The device vanished while we were talking to it (unplugged mid-capture)."""

    device_error = "disconnected"


class CaptureFailedError(DeviceError):
    device_error = "failed"


class TrustError(DeviceError):
    """The device's answer failed verification (signature, certificate, digital id, hash chain, ...)."""

    device_error = "untrusted"


@runtime_checkable
class BiometricDevice(Protocol):
    """Interface for finger, iris and face scanners (SBI or other)."""

    modality: Modality

    def info(self) -> DeviceInfo:
        """Current identity and status of the device (blocking device I/O)."""
        ...

    def stream(self, *, sub_id: int = 0, timeout_s: float = 30.0) -> Iterator[PreviewFrame]:
        """Preview frames until the iterator is closed or the device stops."""
        ...

    def capture(
        self,
        *,
        bio_subtypes: list[str],
        exceptions: list[str] | None = None,
        requested_score: int = 40,
        timeout_s: float = 10.0,
    ) -> list[CaptureResult]:
        """Capture the requested subtypes (e.g. ["Left IndexFinger", ...]); one result per subtype."""
        ...


class FingerDevice(BiometricDevice, Protocol):
    """A finger slap / single-finger scanner."""


class IrisDevice(BiometricDevice, Protocol):
    """A single or double iris camera."""


class FaceDevice(BiometricDevice, Protocol):
    """A face camera (certified SBI face device or the OpenCV camera with ICAO-lite checks)."""


@runtime_checkable
class DocumentDevice(Protocol):
    """A document camera/scanner returning an encoded image."""

    modality: Modality

    def info(self) -> DeviceInfo: ...

    def stream(self, *, sub_id: int = 0, timeout_s: float = 30.0) -> Iterator[PreviewFrame]: ...

    def capture_document(self) -> CaptureResult: ...


@dataclass(frozen=True)
class BarcodeResult:
    symbology: str
    text: str
    decoder: str


@runtime_checkable
class BarcodeDevice(Protocol):
    """Decodes barcodes from images (camera frames or scans). Keyboard-wedge scanners need no driver:
    they type the code plus Enter into the focused client field."""

    modality: Modality

    def decode(self, image: object) -> list[BarcodeResult]: ...

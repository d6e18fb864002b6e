"""A plain USB fingerprint reader through libfprint, behind the same ``FingerDevice`` interface as an SBI
finger scanner: ``info``, ``stream`` and ``capture`` returning ``CaptureResult`` with an ISO/IEC
19794-4 record.

Such readers take one finger at a time (``fingers_per_capture = 1``): asked for a whole slap they
refuse with :class:`OneFingerError`, and the kiosk asks the officer finger by finger instead. They have
no live picture (``stream`` ends at once). A reader that only matches on its chip raises
:class:`NoImageError`. The image becomes a lossless JPEG 2000 finger record, as SBI devices send,
with the kiosk's own quality estimate (device_drivers.fprint.quality) since libfprint gives none.

Thread rule: every method blocks on the libfprint host (device_drivers.fprint.host_client); call
them on the device's thread (``ManagedDevice``), never a UI thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import numpy as np

from device_drivers.base import (
    CaptureFailedError,
    CaptureResult,
    DeviceIdentity,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceStatus,
    Modality,
    PreviewFrame,
)
from device_drivers.finger_match import EnrolledPrint, EnrolProgress
from device_drivers.fprint.errors import OneFingerError, error_from_host
from device_drivers.fprint.host_client import FprintHost
from device_drivers.fprint.matching import FprintMatching
from device_drivers.fprint.quality import finger_quality
from device_drivers.iso import FingerImage, QualityBlock, write_finger_record
from device_drivers.iso.finger import POSITION_CODES
from device_drivers.iso.images import encode_image

ASSUMED_PPI = 500  # when the driver does not say (virtual readers), the usual fingerprint resolution
MAX_SIDE = 4000
SINGLE_FINGERS = {name for name, code in POSITION_CODES.items() if 1 <= code <= 10}
HOST_SLACK_S = 5.0  # the host answers a timed-out capture itself; this covers its own delay


class FprintReader:
    """One libfprint reader, known to the host by ``host_key`` (driver:device id)."""

    modality = Modality.FINGER
    fingers_per_capture = 1

    def __init__(self, host: FprintHost, description: dict) -> None:
        self.host = host
        self.description = description
        self.matching = FprintMatching(self)  # the FingerMatcher methods below (officers' own prints)

    @property
    def host_key(self) -> str:
        return str(self.description.get("key", ""))

    @property
    def key(self) -> str:
        return f"fprint:{self.host_key}"

    @property
    def name(self) -> str:
        return str(self.description.get("name") or self.description.get("driver") or "fingerprint reader")

    @property
    def can_capture(self) -> bool:
        return "capture" in self.description.get("features", ())

    @property
    def identity(self) -> DeviceIdentity:
        return DeviceIdentity(
            make="libfprint",
            model=self.name,
            serial=str(self.description.get("device_id", "")),
            device_provider=f"libfprint {self.description.get('driver', '')}".strip(),
            device_id=self.host_key,
        )

    def device_info(self) -> DeviceInfo:
        """This reader as discovery last described it (no device I/O)."""
        if not self.can_capture:
            status, detail = DeviceStatus.NOT_READY, "matches on its chip only; gives no fingerprint image"
        else:
            status = DeviceStatus.BUSY if self.description.get("busy") else DeviceStatus.READY
            detail = f"{self.description.get('scan_type', 'press')} reader, one finger at a time"
        return DeviceInfo(self.key, Modality.FINGER, self.identity, status, detail=detail)

    def info(self) -> DeviceInfo:
        header, _ = self.host.request("list", timeout_s=10.0)
        for description in listed_devices(header):
            if description["key"] == self.host_key:
                self.description = description
                return self.device_info()
        raise DeviceNotFoundError(f"The fingerprint reader {self.name} is not connected.")

    def stream(self, *, sub_id: int = 0, timeout_s: float = 30.0) -> Iterator[PreviewFrame]:
        """No live picture: a plain reader sends an image only once a finger is on it."""
        return iter(())

    def capture(
        self,
        *,
        bio_subtypes: list[str],
        exceptions: list[str] | None = None,
        requested_score: int = 40,
        timeout_s: float = 10.0,
    ) -> list[CaptureResult]:
        """The one finger of ``bio_subtypes`` not in ``exceptions`` (none left: nothing to capture)."""
        wanted = [s for s in bio_subtypes if s not in set(exceptions or ())]
        if not wanted:
            return []
        if len(wanted) > self.fingers_per_capture:
            raise OneFingerError(
                f"The fingerprint reader {self.name} takes one finger at a time; {len(wanted)} were asked."
            )
        subtype = wanted[0]
        if subtype not in SINGLE_FINGERS:
            raise CaptureFailedError(f"{subtype!r} is not a finger this reader can capture.")
        started = time.monotonic()
        header, payload = self.host.request(
            "capture",
            device=self.host_key,
            timeout_ms=max(100, int(timeout_s * 1000)),
            timeout_s=timeout_s + HOST_SLACK_S,
        )
        if not header.get("ok"):
            raise error_from_host(header.get("error") or {}, reader=self.name)
        image = pixels_of(header, payload)
        ppi = ppi_of(header.get("ppmm"))
        quality = finger_quality(image, ppi=ppi or ASSUMED_PPI)
        when = datetime.now(UTC)
        finger = FingerImage(
            position=POSITION_CODES[subtype],
            image=encode_image(image, "jp2"),
            width=image.shape[1],
            height=image.shape[0],
            compression="jp2",
            quality=(QualityBlock(quality),),
            captured_at=when,
            resolution_ppi=ppi or ASSUMED_PPI,
        )
        return [
            CaptureResult(
                modality=Modality.FINGER,
                bio_subtype=subtype,
                iso_record=write_finger_record([finger]),
                image_format="jp2",
                quality=quality,
                identity=self.identity,
                captured_at=when.isoformat(timespec="milliseconds"),
                duration_s=time.monotonic() - started,
                extra={
                    "driver": str(self.description.get("driver", "")),
                    "minutiae": str(int(header.get("minutiae") or 0)),
                    "ppi": str(ppi or ASSUMED_PPI),
                    "ppi_source": "reader" if ppi else "assumed",
                    "library_s": str(header.get("seconds", "")),  # libfprint's share of duration_s
                },
            )
        ]

    # -- FingerMatcher (device_drivers.finger_match): enrol and match officers' own prints ----------
    @property
    def driver(self) -> str:
        return self.matching.driver

    @property
    def can_match(self) -> bool:
        return self.matching.can_match

    @property
    def can_identify(self) -> bool:
        return self.matching.can_identify

    def enrol(
        self, *, finger: str, user: str, on_progress: Callable[[EnrolProgress], None], touch_timeout_s: float
    ) -> EnrolledPrint:
        return self.matching.enrol(
            finger=finger, user=user, on_progress=on_progress, touch_timeout_s=touch_timeout_s
        )

    def verify(self, template: bytes, *, timeout_s: float) -> bool:
        return self.matching.verify(template, timeout_s=timeout_s)

    def identify(self, templates: Sequence[bytes], *, timeout_s: float) -> int | None:
        return self.matching.identify(templates, timeout_s=timeout_s)

    def cancel(self) -> None:
        self.matching.cancel()


def listed_devices(header: dict) -> list[dict]:
    """The readers of the host's ``list``/``rescan`` answer (at most 32, each a dict with a text key)."""
    devices = header.get("devices")
    if not header.get("ok") or not isinstance(devices, list):
        raise CaptureFailedError(f"The fingerprint reader service could not list the readers: {header}"[:300])
    return [d for d in devices[:32] if isinstance(d, dict) and isinstance(d.get("key"), str)]


def pixels_of(header: dict, payload: bytes) -> np.ndarray:
    """The host's image as a height x width uint8 array; refuses sizes that do not add up."""
    width, height = header.get("width"), header.get("height")
    if not all(isinstance(v, int) and 8 <= v <= MAX_SIDE for v in (width, height)):
        raise CaptureFailedError(f"The fingerprint reader sent an image of unusable size {width} x {height}.")
    if len(payload) != width * height:  # type: ignore[operator]
        raise CaptureFailedError(
            f"The fingerprint reader sent {len(payload)} bytes for a {width} x {height} image."
        )
    return np.frombuffer(payload, np.uint8).reshape(height, width)  # type: ignore[arg-type]


def ppi_of(ppmm: object) -> int | None:
    """Pixels per inch from libfprint's pixels per millimetre; None when the driver does not say."""
    if not isinstance(ppmm, int | float) or not math.isfinite(ppmm) or not 4 <= ppmm <= 80:
        return None
    return round(ppmm * 25.4)

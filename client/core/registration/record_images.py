"""The picture inside a captured biometric record, made displayable (a small PNG) for the kiosk.

SBI devices send ISO/IEC 19794-4/-5/-6 records whose images are JPEG 2000, which Qt cannot decode; this
reads the record with ``device_drivers.iso``, decodes the image with OpenCV and re-encodes a thumbnail as
PNG. Decoding takes tens of milliseconds: call it on a worker, never a UI thread.
"""

from __future__ import annotations

import cv2

from client.core.registration.biometrics import BiometricCapture
from device_drivers.iso import IsoRecordError, read_iso_record
from device_drivers.iso.finger import FingerRecord
from device_drivers.iso.images import decode_image

THUMBNAIL_SIDE = 240  # pixels of the longer side


_IMAGE_STARTS = (b"\x89PNG", b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP")  # PNG, JPEG, JPEG 2000


def embedded_image(record: bytes) -> bytes | None:
    """The encoded image inside an ISO-style record found by its start marker (records that are not
    strict ISO 19794, e.g. the demo's samples), or None."""
    for marker in _IMAGE_STARTS:
        at = record.find(marker)
        if at >= 0:
            return record[at:]
    return None


def _payload(capture: BiometricCapture) -> bytes | None:
    """The encoded image of ``capture``'s subtype inside its ISO record (the first one if none matches)."""
    try:
        record = read_iso_record(capture.record)
    except IsoRecordError:
        return embedded_image(capture.record)
    images = record.fingers if isinstance(record, FingerRecord) else record
    if not images:
        return None
    chosen = next((i for i in images if getattr(i, "bio_subtype", "") == capture.bio_subtype), images[0])
    return chosen.image


def thumbnail(capture: BiometricCapture, *, side: int = THUMBNAIL_SIDE) -> bytes | None:
    """A PNG of at most ``side`` pixels a side showing ``capture``'s image, or None when the record holds
    no image that can be decoded (a damaged record never raises here: the capture itself stands)."""
    try:
        payload = _payload(capture)
        if payload is None:
            return None
        image = decode_image(payload)
    except (IsoRecordError, ValueError):
        return None
    height, width = image.shape[:2]
    scale = side / max(height, width)
    if scale < 1:
        image = cv2.resize(
            image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
        )
    if image.dtype != "uint8":
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    ok, buffer = cv2.imencode(".png", image)
    return buffer.tobytes() if ok else None

"""ISO/IEC 19794-4/-5/-6 records (read: 2005 and 2011 editions; written: 2011) and CBEFF XML wrapping."""

from __future__ import annotations

from device_drivers.iso.cbeff import CbeffEntry, read_cbeff, write_cbeff
from device_drivers.iso.common import IsoRecordError, QualityBlock, UnsupportedImageError
from device_drivers.iso.face import FaceImage, read_face_record, write_face_record
from device_drivers.iso.finger import FingerImage, FingerRecord, read_finger_record, write_finger_record
from device_drivers.iso.iris import IrisImage, read_iris_record, write_iris_record


def read_iso_record(data: bytes) -> FingerRecord | tuple[FaceImage, ...] | tuple[IrisImage, ...]:
    """Read any supported record (either edition) by its format identifier; raises IsoRecordError on
    anything wrong."""
    if len(data) < 8:
        raise IsoRecordError(f"biometric record truncated: {len(data)} bytes cannot hold format and version")
    magic = bytes(data[:4])
    if magic == b"FIR\x00":
        return read_finger_record(data)
    if magic == b"FAC\x00":
        return read_face_record(data)
    if magic == b"IIR\x00":
        return read_iris_record(data)
    raise IsoRecordError(f"unknown biometric record type {magic!r} (expected FIR, FAC or IIR)")


__all__ = [
    "CbeffEntry",
    "FaceImage",
    "FingerImage",
    "FingerRecord",
    "IrisImage",
    "IsoRecordError",
    "QualityBlock",
    "UnsupportedImageError",
    "read_cbeff",
    "read_face_record",
    "read_finger_record",
    "read_iris_record",
    "read_iso_record",
    "write_cbeff",
    "write_face_record",
    "write_finger_record",
    "write_iris_record",
]

"""ISO/IEC 19794-4/-5/-6 (2011) record reader/writer and CBEFF XML wrapping."""

from __future__ import annotations

from device_drivers.iso.cbeff import CbeffEntry, read_cbeff, write_cbeff
from device_drivers.iso.common import IsoRecordError, QualityBlock
from device_drivers.iso.face import FaceImage, read_face_record, write_face_record
from device_drivers.iso.finger import FingerImage, FingerRecord, read_finger_record, write_finger_record
from device_drivers.iso.iris import IrisImage, read_iris_record, write_iris_record


def read_iso_record(data: bytes) -> FingerRecord | tuple[FaceImage, ...] | tuple[IrisImage, ...]:
    """Read any supported record by its format identifier; raises IsoRecordError on anything wrong."""
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

"""ISO/IEC 19794-4:2011 finger image records ("FIR", version 020): reader and writer.

Layout (big-endian): general header (format "FIR\\0", version "020\\0", record length u32, representation
count u16, certification flag u8, finger count u8), then per representation: length u32, capture time
(9 bytes), device technology u8, vendor u16, device type u16, quality blocks, certification blocks (if
flagged), finger position, representation number, scale units, 4 resolutions u16, bit depth,
compression, impression type, width u16, height u16, image length u32, image, optional extended data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

from device_drivers.iso.common import (
    IsoRecordError,
    QualityBlock,
    Reader,
    pack_record,
    pack_representation_start,
    read_record_header,
    read_representation_start,
    sniff_image_format,
)

COMPRESSION = {0: "raw", 1: "raw-packed", 2: "wsq", 3: "jpeg", 4: "jp2-lossy", 5: "jp2", 6: "png"}
COMPRESSION_CODES = {"jp2": 5, "png": 6, "jpeg": 3, "wsq": 2}

FINGER_POSITIONS = {
    0: "Unknown",
    1: "Right Thumb",
    2: "Right IndexFinger",
    3: "Right MiddleFinger",
    4: "Right RingFinger",
    5: "Right LittleFinger",
    6: "Left Thumb",
    7: "Left IndexFinger",
    8: "Left MiddleFinger",
    9: "Left RingFinger",
    10: "Left LittleFinger",
    13: "Right Slap",
    14: "Left Slap",
    15: "Two Thumbs",
}
POSITION_CODES = {name: code for code, name in FINGER_POSITIONS.items()}


@dataclass(frozen=True)
class FingerImage:
    position: int
    image: bytes
    width: int
    height: int
    compression: str = "jp2"
    quality: tuple[QualityBlock, ...] = ()
    captured_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    resolution_ppi: int = 500
    bit_depth: int = 8
    impression_type: int = 0
    certifications: tuple[tuple[int, int], ...] = ()
    extended_data: bytes = b""

    @property
    def bio_subtype(self) -> str:
        return FINGER_POSITIONS.get(self.position, f"position {self.position}")


@dataclass(frozen=True)
class FingerRecord:
    fingers: tuple[FingerImage, ...]


def read_finger_record(data: bytes) -> FingerRecord:
    r = Reader(bytes(data), "finger (ISO 19794-4)")
    count, certified = read_record_header(
        r,
        b"FIR\x00",
        b"020\x00",
        tail=("finger count", 1),
        empty="finger record holds no finger representation",
    )
    fingers = []
    for index in range(count):
        rep = read_representation_start(r, kind="finger", index=index, min_length=53, certified=certified)
        position = r.u8("finger position")
        if position not in FINGER_POSITIONS:
            raise IsoRecordError(f"finger record has unknown finger position {position}")
        r.u8("representation number")
        r.u8("scale units")
        h_res, _v, _ih, _iv = (r.u16("resolution") for _ in range(4))
        depth = r.u8("bit depth")
        compression_code = r.u8("compression")
        if compression_code not in COMPRESSION:
            raise IsoRecordError(f"finger record has unknown compression code {compression_code}")
        impression = r.u8("impression type")
        width, height = r.dimensions()
        image = r.image(end=rep.end, trailing_allowed=True)
        extended = r.take(rep.end - r.pos, "extended data")
        fingers.append(
            FingerImage(
                position=position,
                image=image,
                width=width,
                height=height,
                compression=COMPRESSION[compression_code],
                quality=rep.quality,
                captured_at=rep.captured_at,
                resolution_ppi=h_res,
                bit_depth=depth,
                impression_type=impression,
                certifications=rep.certifications,
                extended_data=extended,
            )
        )
    r.expect_end("finger")
    return FingerRecord(tuple(fingers))


def write_finger_record(fingers: list[FingerImage]) -> bytes:
    if not fingers:
        raise IsoRecordError("cannot write a finger record without fingers")
    cert_flag = any(f.certifications for f in fingers)
    reps = []
    for number, f in enumerate(fingers):
        if f.compression not in COMPRESSION_CODES:
            raise IsoRecordError(f"cannot write finger image compression {f.compression!r}")
        rep = pack_representation_start(f.captured_at, f.quality)
        if cert_flag:
            rep += bytes([len(f.certifications)])
            rep += b"".join(struct.pack(">HB", a, s) for a, s in f.certifications)
        rep += struct.pack(
            ">BBBHHHHBBBHHI",
            f.position,
            number,
            1,  # scale units: pixels per inch
            f.resolution_ppi,
            f.resolution_ppi,
            f.resolution_ppi,
            f.resolution_ppi,
            f.bit_depth,
            COMPRESSION_CODES[f.compression],
            f.impression_type,
            f.width,
            f.height,
            len(f.image),
        )
        reps.append(rep + f.image + f.extended_data)
    positions = {f.position for f in fingers}
    return pack_record(b"FIR\x00020\x00", reps, cert_flag=cert_flag, tail=bytes([len(positions)]))


def image_format_of(finger: FingerImage) -> str:
    return sniff_image_format(finger.image)

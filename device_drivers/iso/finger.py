"""ISO/IEC 19794-4 finger image records ("FIR"): the 2011 edition (version 020) read and written here; the
2005 edition (version 010) read by ``finger_2005``, to which ``read_finger_record`` hands it.

Layout (big-endian): general header (format "FIR\\0", version "020\\0", record length u32, representation
count u16, certification flag u8, finger count u8), then per representation: length u32, capture time
(9 bytes), device technology u8, vendor u16, device type u16, quality blocks, certification blocks (if
flagged), finger position, representation number, scale units, 4 resolutions u16, bit depth,
compression, impression type, width u16, height u16, image length u32, image, optional extended data.
"""

from __future__ import annotations

import struct

from device_drivers.iso.common import (
    IsoRecordError,
    Reader,
    edition_of,
    pack_record,
    pack_representation_start,
    read_record_header,
    read_representation_start,
    sniff_image_format,
)
from device_drivers.iso.finger_2005 import read_finger_record_2005
from device_drivers.iso.model import FINGER_POSITIONS, POSITION_CODES, FingerImage, FingerRecord

COMPRESSION = {0: "raw", 1: "raw-packed", 2: "wsq", 3: "jpeg", 4: "jp2-lossy", 5: "jp2", 6: "png"}
COMPRESSION_CODES = {"jp2": 5, "png": 6, "jpeg": 3, "wsq": 2}


def read_finger_record(data: bytes) -> FingerRecord:
    """Either edition; raises IsoRecordError on anything truncated, inconsistent or unknown."""
    if edition_of(data, b"FIR\x00", "finger (ISO 19794-4)") == 2005:
        return read_finger_record_2005(data)
    r = Reader(bytes(data), "finger (ISO 19794-4:2011)")
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


__all__ = [
    "COMPRESSION",
    "COMPRESSION_CODES",
    "FINGER_POSITIONS",
    "POSITION_CODES",
    "FingerImage",
    "FingerRecord",
    "image_format_of",
    "read_finger_record",
    "write_finger_record",
]

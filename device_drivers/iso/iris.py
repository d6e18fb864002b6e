"""ISO/IEC 19794-6 iris image records ("IIR"): the 2011 edition (version 020) read and written here; the
2005 edition (version 010, ePassport DG4), laid out quite differently, read by ``iris_2005``.

Layout: header (format, version, record length u32, representation count u16, certification flag u8,
eye count u8 = 16 bytes); per representation: length u32, capture time (9), device technology u8, vendor
u16, type u16, quality blocks, certification blocks (if flagged), representation number u16, eye label,
image type, image format, image properties, width u16, height u16, bit depth, range u16, roll angle u16,
roll uncertainty u16, iris centre (4 x u16), iris diameter (2 x u16), image length u32, image.
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
)
from device_drivers.iso.iris_2005 import read_iris_record_2005
from device_drivers.iso.model import EYE_CODES, EYE_LABELS, IrisImage

IMAGE_FORMATS = {0x02: "raw", 0x06: "jpeg", 0x0A: "jp2", 0x0E: "png"}
IMAGE_FORMAT_CODES = {"jp2": 0x0A, "png": 0x0E, "jpeg": 0x06}


def read_iris_record(data: bytes) -> tuple[IrisImage, ...]:
    """Either edition; raises IsoRecordError on anything truncated, inconsistent or unknown."""
    if edition_of(data, b"IIR\x00", "iris (ISO 19794-6)") == 2005:
        return read_iris_record_2005(data)
    r = Reader(bytes(data), "iris (ISO 19794-6:2011)")
    count, certified = read_record_header(
        r, b"IIR\x00", b"020\x00", tail=("eye count", 1), empty="iris record holds no iris image"
    )
    irises = []
    for index in range(count):
        rep = read_representation_start(r, kind="iris", index=index, min_length=57, certified=certified)
        r.u16("representation number")
        eye = r.u8("eye label")
        if eye not in EYE_LABELS:
            raise IsoRecordError(f"iris record has unknown eye label {eye}")
        image_type = r.u8("image type")
        fmt = r.u8("image format")
        if fmt not in IMAGE_FORMATS:
            raise IsoRecordError(f"iris record has unknown image format code {fmt:#x}")
        r.u8("image properties")
        width, height = r.dimensions()
        depth = r.u8("bit depth")
        r.take(18, "range, roll angle and iris geometry")
        image = r.image(end=rep.end)
        irises.append(
            IrisImage(
                eye=EYE_LABELS[eye],
                image=image,
                width=width,
                height=height,
                image_format=IMAGE_FORMATS[fmt],
                quality=rep.quality,
                captured_at=rep.captured_at,
                image_type=image_type,
                bit_depth=depth,
            )
        )
    r.expect_end("image")
    return tuple(irises)


def write_iris_record(irises: list[IrisImage]) -> bytes:
    if not irises:
        raise IsoRecordError("cannot write an iris record without an image")
    reps = []
    for number, i in enumerate(irises, start=1):
        if i.image_format not in IMAGE_FORMAT_CODES or i.eye not in EYE_CODES:
            raise IsoRecordError(f"cannot write iris image {i.eye!r}/{i.image_format!r}")
        rep = pack_representation_start(i.captured_at, i.quality)
        rep += struct.pack(
            ">HBBBBHHB",
            number,
            EYE_CODES[i.eye],
            i.image_type,
            IMAGE_FORMAT_CODES[i.image_format],
            0,
            i.width,
            i.height,
            i.bit_depth,
        )
        rep += struct.pack(">HHH", 0, 0xFFFF, 0xFFFF) + b"\x00" * 12
        reps.append(rep + struct.pack(">I", len(i.image)) + i.image)
    eyes = {i.eye for i in irises}
    return pack_record(b"IIR\x00020\x00", reps, cert_flag=False, tail=bytes([len(eyes)]))


__all__ = [
    "EYE_CODES",
    "EYE_LABELS",
    "IMAGE_FORMATS",
    "IMAGE_FORMAT_CODES",
    "IrisImage",
    "read_iris_record",
    "write_iris_record",
]

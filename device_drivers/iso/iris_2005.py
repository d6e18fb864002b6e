"""ISO/IEC 19794-6:2005 iris image records ("IIR", version 010): reader (ePassport DG4, older MOSIP).

The 2005 edition groups images by eye and sets the image format and size once for the whole record.
Layout (big-endian): a 45-byte record header (format "IIR\\0", version "010\\0", record length u32, capture
device id u16, eye (biometric subtype) count u8, record header length u16 = 45, image property bits u16,
iris diameter u16, image format u16, width u16, height u16, intensity depth u8, image transformation u8,
device unique id (16)); then per eye a subtype header (subtype u8: 0 unknown, 1 right, 2 left; image
count u16) followed by that many images, each an 11-byte image header (image number u16, quality u8
(254 = not given), rotation angle u16, rotation uncertainty u16, image length u32) and the image.
"""

from __future__ import annotations

from device_drivers.iso.common import (
    UNKNOWN_CAPTURE_TIME,
    IsoRecordError,
    Reader,
    check_header,
    quality_2005,
)
from device_drivers.iso.model import EYE_LABELS, IrisImage

KIND = "iris (ISO 19794-6:2005)"
RECORD_HEADER = 45
# Image format codes: monochrome and RGB variants of raw, JPEG, JPEG-LS and JPEG 2000.
IMAGE_FORMATS_2005 = {
    0x02: "raw",
    0x04: "raw-rgb",
    0x06: "jpeg",
    0x08: "jpeg",
    0x0A: "jpeg-ls",
    0x0C: "jpeg-ls",
    0x0E: "jp2",
    0x10: "jp2",
}


def read_iris_record_2005(data: bytes) -> tuple[IrisImage, ...]:
    """Every image of every eye; raises IsoRecordError on anything truncated or inconsistent."""
    r = Reader(bytes(data), KIND)
    check_header(r, b"IIR\x00", (b"010\x00",))
    r.u16("capture device id")
    eyes = r.u8("eye count")
    header_length = r.u16("record header length")
    if header_length != RECORD_HEADER:
        raise IsoRecordError(f"{KIND} record header length is {header_length}, expected {RECORD_HEADER}")
    r.u16("image properties")
    r.u16("iris diameter")
    code = r.u16("image format")
    if code not in IMAGE_FORMATS_2005:
        raise IsoRecordError(f"iris record has unknown image format code {code:#x}")
    width, height = r.dimensions()
    depth = r.u8("intensity depth")
    r.u8("image transformation")
    r.take(16, "device unique id")
    if eyes == 0:
        raise IsoRecordError("iris record holds no iris image")
    irises: list[IrisImage] = []
    for _ in range(eyes):
        label = r.u8("eye label")
        if label not in EYE_LABELS:
            raise IsoRecordError(f"iris record has unknown eye label {label}")
        for _ in range(r.u16("image count")):
            r.u16("image number")
            quality = quality_2005(r.u8("image quality"), "iris")
            r.u16("rotation angle")
            r.u16("rotation uncertainty")
            image = r.take(r.u32("image length"), "image data")
            if not image:
                raise IsoRecordError(f"iris image {len(irises)} holds no image data")
            irises.append(
                IrisImage(
                    eye=EYE_LABELS[label],
                    image=image,
                    width=width,
                    height=height,
                    image_format=IMAGE_FORMATS_2005[code],
                    quality=quality,
                    captured_at=UNKNOWN_CAPTURE_TIME,
                    image_type=0,
                    bit_depth=depth,
                    edition=2005,
                )
            )
    if not irises:
        raise IsoRecordError("iris record holds no iris image")
    r.expect_end("image")
    return tuple(irises)

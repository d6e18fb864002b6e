"""ISO/IEC 19794-4:2005 finger image records ("FIR", version 010): reader (ePassport DG3, older MOSIP).

Layout (big-endian): a 32-byte general header (format "FIR\\0", version "010\\0", record length as 6 bytes,
capture device id u16, image acquisition level u16, finger/palm view count u8, scale units u8 (1 = ppi,
2 = ppcm), scan resolution h/v u16, image resolution h/v u16, pixel depth u8, compression u8, 2 reserved),
then per view a 14-byte finger header (block length u32 counting the header, finger position u8, view
count u8, view number u8, quality u8, impression type u8, width u16, height u16, 1 reserved) and the
image. Unlike 2011, depth, compression and resolution are set once for the whole record and there is no
capture time (read as 1970-01-01, the readers' "unknown").
"""

from __future__ import annotations

from device_drivers.iso.common import (
    UNKNOWN_CAPTURE_TIME,
    IsoRecordError,
    Reader,
    check_header,
    quality_2005,
)
from device_drivers.iso.model import FINGER_POSITIONS, FingerImage, FingerRecord

KIND = "finger (ISO 19794-4:2005)"
GENERAL_HEADER = 32
VIEW_HEADER = 14
COMPRESSION_2005 = {0: "raw", 1: "raw-packed", 2: "wsq", 3: "jpeg", 4: "jp2", 5: "png"}
PPI_PER_UNIT = {1: 1.0, 2: 2.54}  # scale units: pixels per inch, pixels per centimetre


def read_finger_record_2005(data: bytes) -> FingerRecord:
    """Every view of a 2005-edition record; raises IsoRecordError on anything truncated or inconsistent."""
    r = Reader(bytes(data), KIND)
    check_header(r, b"FIR\x00", (b"010\x00",), length_size=6)
    r.u16("capture device id")
    r.u16("image acquisition level")
    count = r.u8("finger view count")
    units = r.u8("scale units")
    if units not in PPI_PER_UNIT:
        raise IsoRecordError(f"{KIND} record has unknown scale units {units} (expected 1 or 2)")
    r.u16("horizontal scan resolution")
    r.u16("vertical scan resolution")
    resolution = round(r.u16("horizontal image resolution") * PPI_PER_UNIT[units])
    r.u16("vertical image resolution")
    depth = r.u8("pixel depth")
    if not 1 <= depth <= 16:
        raise IsoRecordError(f"{KIND} record has pixel depth {depth}, outside 1-16")
    code = r.u8("compression")
    if code not in COMPRESSION_2005:
        raise IsoRecordError(f"finger record has unknown compression code {code}")
    r.take(2, "reserved bytes")
    if count == 0:
        raise IsoRecordError("finger record holds no finger view")
    fingers = tuple(_read_view(r, index, code, depth, resolution) for index in range(count))
    r.expect_end("finger")
    return FingerRecord(fingers)


def _read_view(r: Reader, index: int, compression: int, depth: int, resolution: int) -> FingerImage:
    start = r.pos
    length = r.u32("finger view length")
    if length < VIEW_HEADER or start + length > len(r.data):
        raise IsoRecordError(f"finger view {index} length {length} does not fit the record")
    position = r.u8("finger position")
    if position not in FINGER_POSITIONS:
        raise IsoRecordError(f"finger record has unknown finger position {position}")
    r.u8("view count")
    r.u8("view number")
    quality = quality_2005(r.u8("finger quality"), "finger")
    impression = r.u8("impression type")
    width, height = r.dimensions()
    r.u8("reserved byte")
    image = r.take(start + length - r.pos, "image data")
    if not image:
        raise IsoRecordError(f"finger view {index} holds no image data")
    return FingerImage(
        position=position,
        image=image,
        width=width,
        height=height,
        compression=COMPRESSION_2005[compression],
        quality=quality,
        captured_at=UNKNOWN_CAPTURE_TIME,
        resolution_ppi=resolution,
        bit_depth=depth,
        impression_type=impression,
        edition=2005,
    )

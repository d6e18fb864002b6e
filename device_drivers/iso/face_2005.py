"""ISO/IEC 19794-5:2005 face image records ("FAC", version 010): reader (ePassport DG2, older MOSIP).

Layout (big-endian): a 14-byte header (format "FAC\\0", version "010\\0", record length u32, face count
u16), then per face: block length u32 (counting itself), the rest of the 20-byte facial information
(feature point count u16, gender, eye colour, hair colour, feature mask (3), expression u16, pose angles
(3), their uncertainties (3)), 8 bytes per feature point, the 12-byte image information (face image type,
image data type (0 JPEG, 1 JPEG 2000), width u16, height u16, colour space, source type, device type
u16, quality u16 (0 = not given)) and the image up to the end of the block. There is no capture time.
"""

from __future__ import annotations

from device_drivers.iso.common import (
    UNKNOWN_CAPTURE_TIME,
    IsoRecordError,
    QualityBlock,
    Reader,
    check_header,
)
from device_drivers.iso.model import FaceImage

KIND = "face (ISO 19794-5:2005)"
FACIAL_INFORMATION = 20
IMAGE_INFORMATION = 12
IMAGE_DATA_TYPES_2005 = {0: "jpeg", 1: "jp2"}


def read_face_record_2005(data: bytes) -> tuple[FaceImage, ...]:
    """Every face of a 2005-edition record; raises IsoRecordError on anything truncated or inconsistent."""
    r = Reader(bytes(data), KIND)
    check_header(r, b"FAC\x00", (b"010\x00",))
    count = r.u16("face count")
    if count == 0:
        raise IsoRecordError("face record holds no face image")
    faces = tuple(_read_face(r, index) for index in range(count))
    r.expect_end("image")
    return faces


def _read_face(r: Reader, index: int) -> FaceImage:
    start = r.pos
    length = r.u32("facial record length")
    end = start + length
    if length < FACIAL_INFORMATION + IMAGE_INFORMATION or end > len(r.data):
        raise IsoRecordError(f"face {index} length {length} does not fit the record")
    points = r.u16("feature point count")
    if start + FACIAL_INFORMATION + 8 * points + IMAGE_INFORMATION > end:
        raise IsoRecordError(f"face {index} has {points} feature points, more than its length {length} holds")
    r.take(FACIAL_INFORMATION - 6, "facial information")
    landmarks = r.take(8 * points, "feature points")
    face_type = r.u8("face image type")
    data_type = r.u8("image data type")
    if data_type not in IMAGE_DATA_TYPES_2005:
        raise IsoRecordError(f"face record has unknown image data type {data_type}")
    width, height = r.dimensions()
    r.take(4, "colour space, source type and device type")
    score = r.u16("quality")
    if score > 100:
        raise IsoRecordError(f"{KIND} record has quality score {score}, outside 0-100")
    image = r.take(end - r.pos, "image data")
    if not image:
        raise IsoRecordError(f"face {index} holds no image data")
    return FaceImage(
        image=image,
        width=width,
        height=height,
        image_format=IMAGE_DATA_TYPES_2005[data_type],
        quality=(QualityBlock(score),) if score else (),
        captured_at=UNKNOWN_CAPTURE_TIME,
        face_image_type=face_type,
        landmarks=landmarks,
        edition=2005,
    )

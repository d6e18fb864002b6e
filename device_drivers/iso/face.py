"""ISO/IEC 19794-5 face image records ("FAC"): the 2011 edition (version 030) read and written here; the
2005 edition (version 010, ePassport DG2) read by ``face_2005``, to which ``read_face_record`` hands it.

Layout: header (format, version, record length u32, representation count u16, certification flag u8,
temporal semantics u16 = 17 bytes); per representation: length u32, capture time (9), device technology
u8, vendor u16, type u16, quality blocks, certification blocks (if flagged), landmark count u16, gender,
eye colour, hair colour, subject height, property mask (3), expression u16, pose angles (3) and their
uncertainties (3), landmarks (8 bytes each), face image type, image data type, width u16, height u16,
spatial sampling, post-acquisition processing u16, cross reference, colour space, image length u32, image.
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
from device_drivers.iso.face_2005 import read_face_record_2005
from device_drivers.iso.model import FaceImage

IMAGE_DATA_TYPES = {0: "jpeg", 1: "jp2-lossy", 2: "jp2", 3: "png"}
IMAGE_DATA_CODES = {"jpeg": 0, "jp2": 2, "png": 3}


def read_face_record(data: bytes) -> tuple[FaceImage, ...]:
    """Either edition; raises IsoRecordError on anything truncated, inconsistent or unknown."""
    if edition_of(data, b"FAC\x00", "face (ISO 19794-5)") == 2005:
        return read_face_record_2005(data)
    r = Reader(bytes(data), "face (ISO 19794-5:2011)")
    count, certified = read_record_header(
        r, b"FAC\x00", b"030\x00", tail=("temporal semantics", 2), empty="face record holds no face image"
    )
    faces = []
    for index in range(count):
        rep = read_representation_start(r, kind="face", index=index, min_length=51, certified=certified)
        landmark_count = r.u16("landmark count")
        r.take(15, "facial information")
        landmarks = r.take(8 * landmark_count, "landmark points")
        face_type = r.u8("face image type")
        data_type = r.u8("image data type")
        if data_type not in IMAGE_DATA_TYPES:
            raise IsoRecordError(f"face record has unknown image data type {data_type}")
        width, height = r.dimensions()
        r.take(5, "image information")
        image = r.image(end=rep.end)
        faces.append(
            FaceImage(
                image=image,
                width=width,
                height=height,
                image_format=IMAGE_DATA_TYPES[data_type],
                quality=rep.quality,
                captured_at=rep.captured_at,
                face_image_type=face_type,
                landmarks=landmarks,
            )
        )
    r.expect_end("image")
    return tuple(faces)


def write_face_record(faces: list[FaceImage]) -> bytes:
    if not faces:
        raise IsoRecordError("cannot write a face record without an image")
    reps = []
    for f in faces:
        if f.image_format not in IMAGE_DATA_CODES:
            raise IsoRecordError(f"cannot write face image format {f.image_format!r}")
        if len(f.landmarks) % 8:
            raise IsoRecordError("face landmarks must be 8 bytes each")
        rep = pack_representation_start(f.captured_at, f.quality)
        rep += struct.pack(">H", len(f.landmarks) // 8)
        rep += (
            bytes([0xFF, 0, 0, 0]) + b"\x00" * 11
        )  # gender unknown, colours/height/mask/expression/pose unset
        rep += f.landmarks
        rep += struct.pack(
            ">BBHHBHBBI",
            f.face_image_type,
            IMAGE_DATA_CODES[f.image_format],
            f.width,
            f.height,
            0,
            0,
            0,
            1,
            len(f.image),
        )
        reps.append(rep + f.image)
    return pack_record(b"FAC\x00030\x00", reps, cert_flag=False, tail=b"\x00\x00")


__all__ = ["IMAGE_DATA_CODES", "IMAGE_DATA_TYPES", "FaceImage", "read_face_record", "write_face_record"]

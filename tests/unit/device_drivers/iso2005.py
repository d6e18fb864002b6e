"""A test-only writer of ISO/IEC 19794-4/-5/-6 2005-edition records ("010"), laid out from the standards'
tables, so the readers are tested on records the project did not get from the readers' own writers.

The product writes the 2011 edition only; nothing outside the tests imports this.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

FINGER_COMPRESSION = {"raw": 0, "raw-packed": 1, "wsq": 2, "jpeg": 3, "jp2": 4, "png": 5}
FACE_DATA_TYPE = {"jpeg": 0, "jp2": 1}
IRIS_FORMAT = {"raw": 0x02, "raw-rgb": 0x04, "jpeg": 0x06, "jpeg-ls": 0x0A, "jp2": 0x0E, "jp2-rgb": 0x10}


@dataclass(frozen=True)
class View:
    position: int
    image: bytes
    width: int
    height: int
    quality: int = 60
    impression: int = 0
    view_number: int = 1


def finger_record(
    views: list[View], *, compression: str, depth: int = 8, units: int = 1, resolution: int = 500
) -> bytes:
    """General header (32 bytes, record length in 6 bytes) and one 14-byte finger header per view."""
    body = b"".join(
        struct.pack(
            ">IBBBBBHHB",
            14 + len(v.image),
            v.position,
            1,
            v.view_number,
            v.quality,
            v.impression,
            v.width,
            v.height,
            0,
        )
        + v.image
        for v in views
    )
    length = 32 + len(body)
    header = b"FIR\x00010\x00" + length.to_bytes(6, "big")
    header += struct.pack(
        ">HHBBHHHHBBH",
        0,  # capture device id: not reported
        31,  # image acquisition level
        len(views),
        units,
        resolution,
        resolution,
        resolution,
        resolution,
        depth,
        FINGER_COMPRESSION[compression],
        0,
    )
    return header + body


@dataclass(frozen=True)
class Face:
    image: bytes
    width: int
    height: int
    image_format: str = "jp2"
    feature_points: bytes = b""  # 8 bytes each: type, major/minor code, x u16, y u16, 2 reserved
    face_type: int = 1
    quality: int = 0


def face_record(faces: list[Face]) -> bytes:
    """14-byte header, then per face the 20-byte facial information, feature points and image information."""
    blocks = b""
    for f in faces:
        facial = struct.pack(
            ">HBBB3sH3s3s", len(f.feature_points) // 8, 1, 3, 4, b"\x00" * 3, 1, b"\0" * 3, b"\0" * 3
        )
        info = struct.pack(
            ">BBHHBBHH", f.face_type, FACE_DATA_TYPE[f.image_format], f.width, f.height, 1, 2, 0, f.quality
        )
        block = facial + f.feature_points + info + f.image
        blocks += struct.pack(">I", 4 + len(block)) + block
    return b"FAC\x00010\x00" + struct.pack(">IH", 14 + len(blocks), len(faces)) + blocks


@dataclass(frozen=True)
class Eye:
    label: int  # 0 unknown, 1 right, 2 left
    images: tuple[bytes, ...]
    quality: int = 70


def iris_record(
    eyes: list[Eye], *, image_format: str, width: int, height: int, depth: int = 8, header_length: int = 45
) -> bytes:
    """45-byte record header, then per eye a subtype header and 11-byte image headers."""
    body = b""
    for eye in eyes:
        body += struct.pack(">BH", eye.label, len(eye.images))
        for number, image in enumerate(eye.images, start=1):
            body += struct.pack(">HBHHI", number, eye.quality, 0xFFFF, 0xFFFF, len(image)) + image
    header = struct.pack(
        ">HBHHHHHHBB16s",
        0,
        len(eyes),
        header_length,
        0,
        200,
        IRIS_FORMAT[image_format],
        width,
        height,
        depth,
        0,
        b"\x00" * 16,
    )
    return b"IIR\x00010\x00" + struct.pack(">I", 12 + len(header) + len(body)) + header + body

"""ISO/IEC 19794-4/-5/-6 2005-edition records ("010"), made by the tests' own writer from the standards'
layout: read, decode, refuse what is damaged with IsoRecordError (never another exception)."""

from __future__ import annotations

import contextlib
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.synthetic import synthetic_face, synthetic_finger, synthetic_iris
from device_drivers.iso import (
    FingerImage,
    IsoRecordError,
    QualityBlock,
    UnsupportedImageError,
    read_face_record,
    read_finger_record,
    read_iris_record,
    read_iso_record,
    write_finger_record,
)
from device_drivers.iso.common import UNKNOWN_CAPTURE_TIME
from device_drivers.iso.images import decode_record_image, encode_image
from tests.unit.device_drivers.iso2005 import Eye, Face, View, face_record, finger_record, iris_record

TINY = np.arange(48, dtype=np.uint8).reshape(6, 8)


@pytest.fixture(scope="module")
def finger_png() -> tuple[np.ndarray, bytes]:
    image = synthetic_finger(5)
    return image, encode_image(image, "png")


def test_finger_views_read_with_record_wide_settings(finger_png: tuple[np.ndarray, bytes]) -> None:
    image, png = finger_png
    height, width = image.shape
    record = finger_record(
        [View(2, png, width, height, quality=77), View(7, png, width, height, quality=254, impression=1)],
        compression="png",
        units=2,  # pixels per centimetre: 197 ppcm is 500 ppi
        resolution=197,
    )
    fingers = read_iso_record(record).fingers
    assert [f.bio_subtype for f in fingers] == ["Right IndexFinger", "Left IndexFinger"]
    first, second = fingers
    assert (first.width, first.height, first.compression, first.bit_depth) == (width, height, "png", 8)
    assert first.resolution_ppi == 500 and first.edition == 2005
    assert first.captured_at == UNKNOWN_CAPTURE_TIME
    assert first.quality == (QualityBlock(77),) and second.quality == ()  # 254: not given
    assert second.impression_type == 1
    assert np.array_equal(decode_record_image(first, grayscale=True), image)


@pytest.mark.parametrize("depth", [8, 16])
def test_raw_finger_images_decode_from_the_record_size(depth: int) -> None:
    pixels = TINY.astype(np.uint16) * 1000 if depth == 16 else TINY
    payload = pixels.astype(">u2").tobytes() if depth == 16 else pixels.tobytes()
    record = finger_record([View(1, payload, 8, 6)], compression="raw", depth=depth)
    (finger,) = read_finger_record(record).fingers
    assert np.array_equal(decode_record_image(finger), pixels)


def test_a_2005_finger_converts_to_a_2011_record() -> None:
    image = synthetic_finger(6)
    wsq = encode_image(image, "wsq")
    record = finger_record([View(6, wsq, image.shape[1], image.shape[0], quality=40)], compression="wsq")
    (old,) = read_finger_record(record).fingers
    (new,) = read_finger_record(write_finger_record([old])).fingers
    assert new.edition == 2011 and (new.position, new.compression, new.image) == (6, "wsq", wsq)
    assert decode_record_image(new).shape == image.shape


def test_faces_read_with_feature_points_and_decode() -> None:
    image = synthetic_face()
    height, width = image.shape[:2]
    points = struct.pack(">BBHHH", 1, 0x31, 100, 120, 0) * 2
    record = face_record(
        [
            Face(encode_image(image, "jp2"), width, height, "jp2", feature_points=points, quality=55),
            Face(encode_image(image, "jpeg"), width, height, "jpeg", face_type=2),
        ]
    )
    first, second = read_face_record(record)
    assert (first.width, first.height, first.image_format, first.landmarks) == (width, height, "jp2", points)
    assert first.quality == (QualityBlock(55),) and second.quality == ()
    assert (second.image_format, second.face_image_type, second.edition) == ("jpeg", 2, 2005)
    assert np.array_equal(decode_record_image(first), image)
    assert decode_record_image(second).shape == image.shape


def test_iris_eyes_group_their_images() -> None:
    image = synthetic_iris(3)
    jp2 = encode_image(image, "jp2")
    record = iris_record(
        [Eye(1, (jp2,), quality=90), Eye(2, (jp2, jp2), quality=254)],
        image_format="jp2",
        width=image.shape[1],
        height=image.shape[0],
    )
    irises = read_iso_record(record)
    assert [i.eye for i in irises] == ["Right", "Left", "Left"]
    assert irises[0].quality == (QualityBlock(90),) and irises[1].quality == ()
    assert all(i.edition == 2005 and i.image_type == 0 for i in irises)
    assert np.array_equal(decode_record_image(irises[2], grayscale=True), image)


def test_raw_rgb_iris_decodes_and_jpeg_ls_is_refused_as_unsupported() -> None:
    rgb = np.dstack([TINY, TINY // 2, 255 - TINY])
    (raw,) = read_iris_record(
        iris_record([Eye(2, (rgb.tobytes(),))], image_format="raw-rgb", width=8, height=6)
    )
    assert np.array_equal(decode_record_image(raw)[..., ::-1], rgb)  # OpenCV order is BGR
    (ls,) = read_iris_record(
        iris_record([Eye(1, (b"\xff\xd8\xff\xf7rest",))], image_format="jpeg-ls", width=8, height=6)
    )
    assert ls.image_format == "jpeg-ls"
    with pytest.raises(UnsupportedImageError, match="JPEG-LS"):
        decode_record_image(ls)


def _finger() -> bytes:
    return finger_record([View(3, TINY.tobytes(), 8, 6, quality=50)], compression="raw")


def _face() -> bytes:
    return face_record([Face(b"\xff\xd8jpeg-ish", 8, 6, "jpeg", feature_points=bytes(8))])


def _iris() -> bytes:
    return iris_record(
        [Eye(1, (b"\x00\x00\x00\x0cjP  ",)), Eye(2, (b"x",))], image_format="jp2", width=8, height=6
    )


@pytest.mark.parametrize(
    ("record", "offset", "value", "message"),
    [
        (_finger, 19, 3, "scale units 3"),
        (_finger, 28, 0, "pixel depth 0"),
        (_finger, 29, 9, "compression code 9"),
        (_finger, 18, 0, "no finger view"),
        (_finger, 36, 11, "finger position 11"),
        (_finger, 39, 101, "quality score 101"),
        (_finger, 42, 0, "zero image width"),
        (_face, 43, 2, "image data type 2"),
        (_face, 13, 0, "no face image"),
        (_face, 19, 9, "has 9 feature points"),
        (_iris, 16, 46, "header length is 46"),
        (_iris, 22, 0x12, "image format code 0x12"),
        (_iris, 14, 0, "no iris image"),
        (_iris, 45, 3, "eye label 3"),
        (_iris, 50, 200, "quality score 200"),
    ],
)
def test_inconsistent_2005_records_are_refused_by_field(
    record, offset: int, value: int, message: str
) -> None:
    data = bytearray(record())
    data[offset] = value
    with pytest.raises(IsoRecordError, match=message):
        read_iso_record(bytes(data))


@pytest.mark.parametrize("record", [_finger, _face, _iris])
def test_every_truncation_and_any_extra_byte_is_refused(record) -> None:
    data = record()
    read_iso_record(data)
    for cut in range(len(data)):
        with pytest.raises(IsoRecordError, match=r"length|truncated"):
            read_iso_record(data[:cut])
    with pytest.raises(IsoRecordError, match=r"length"):
        read_iso_record(data + b"\x00")


def test_lengths_inside_the_record_must_agree() -> None:
    finger = bytearray(_finger())
    finger[32:36] = struct.pack(">I", 13)  # shorter than the finger header itself
    with pytest.raises(IsoRecordError, match="finger view 0 length 13"):
        read_iso_record(bytes(finger))
    face = bytearray(_face())
    face[14:18] = struct.pack(">I", 10_000)
    with pytest.raises(IsoRecordError, match="face 0 length 10000 does not fit"):
        read_iso_record(bytes(face))
    iris = _iris()
    with pytest.raises(IsoRecordError, match="unexpected bytes"):  # one eye announced, two present
        read_iso_record(iris[:14] + b"\x01" + iris[15:])


def test_unknown_versions_name_both_editions() -> None:
    with pytest.raises(IsoRecordError, match="010 or 020"):
        read_iso_record(b"IIR\x00030\x00" + _iris()[8:])
    with pytest.raises(IsoRecordError, match="010 or 030"):
        read_iso_record(b"FAC\x00020\x00" + _face()[8:])


def test_finger_images_of_2005_carry_no_2011_only_fields() -> None:
    (finger,) = read_finger_record(_finger()).fingers
    assert finger == FingerImage(
        3, TINY.tobytes(), 8, 6, "raw", (QualityBlock(50),), UNKNOWN_CAPTURE_TIME, 500, 8, 0, edition=2005
    )


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([_finger, _face, _iris]),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_bit_flipped_2005_records_never_crash_the_reader(kind, flips: list[tuple[int, int]]) -> None:
    data = bytearray(kind())
    for index, value in flips:
        data[index % len(data)] = value
    with contextlib.suppress(IsoRecordError):
        read_iso_record(bytes(data))


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=300),
    prefix=st.sampled_from([b"FIR\x00010\x00", b"FAC\x00010\x00", b"IIR\x00010\x00"]),
)
def test_fuzzed_2005_records_never_crash_the_reader(body: bytes, prefix: bytes) -> None:
    size = 6 if prefix.startswith(b"FIR") else 4
    blob = prefix + (len(prefix) + size + len(body)).to_bytes(size, "big") + body
    with contextlib.suppress(IsoRecordError):
        read_iso_record(blob)

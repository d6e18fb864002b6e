"""ISO/IEC 19794 records: write -> read round trips, MOSIP mock-MDS samples, refusal of bad records, fuzz."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.synthetic import synthetic_face, synthetic_finger, synthetic_iris
from device_drivers.iso import (
    CbeffEntry,
    FaceImage,
    FingerImage,
    IrisImage,
    IsoRecordError,
    QualityBlock,
    read_cbeff,
    read_iso_record,
    write_cbeff,
    write_face_record,
    write_finger_record,
    write_iris_record,
)
from device_drivers.iso.images import decode_image, encode_image

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "sample-biometrics" / "mosip-mockmds-registration"
WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@pytest.mark.parametrize("image_format", ["jp2", "png"])
def test_finger_round_trip_is_lossless(image_format: str) -> None:
    image = synthetic_finger(1)
    finger = FingerImage(
        7,
        encode_image(image, image_format),
        image.shape[1],
        image.shape[0],
        image_format,
        (QualityBlock(61, 1, 2),),
        WHEN,
        certifications=((64, 2),),
    )
    record = read_iso_record(write_finger_record([finger]))
    assert record.fingers == (finger,)
    assert record.fingers[0].bio_subtype == "Left IndexFinger"
    assert np.array_equal(decode_image(record.fingers[0].image, grayscale=True), image)


def test_face_and_iris_round_trip() -> None:
    face_img, iris_img = synthetic_face(), synthetic_iris(2)
    face = FaceImage(
        encode_image(face_img, "png"), face_img.shape[1], face_img.shape[0], "png", (QualityBlock(90),), WHEN
    )
    assert read_iso_record(write_face_record([face])) == (face,)
    irises = [
        IrisImage(eye, encode_image(iris_img, "jp2"), 640, 480, "jp2", (QualityBlock(88),), WHEN)
        for eye in ("Left", "Right")
    ]
    back = read_iso_record(write_iris_record(irises))
    assert back == tuple(irises)
    assert np.array_equal(decode_image(back[0].image, grayscale=True), iris_img)


def test_cbeff_round_trip() -> None:
    image = synthetic_finger(3)
    record = write_finger_record(
        [FingerImage(1, encode_image(image, "png"), 300, 420, "png", (QualityBlock(55),))]
    )
    entries = [
        CbeffEntry("Finger", "Right Thumb", 55, record, "2026-01-02T03:04:05Z"),
        CbeffEntry("Finger", "Left Thumb", 0, b"", "2026-01-02T03:04:05Z", exception=True),
    ]
    xml = write_cbeff(entries)
    assert b"BIR" in xml and read_cbeff(xml) == entries
    with pytest.raises(IsoRecordError):
        read_cbeff(b"<notxml")


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"MOSIP sample records not present at {SAMPLES}")
@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.iso")) if SAMPLES.is_dir() else [])
def test_reader_accepts_every_mosip_mock_mds_record(name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    parsed = read_iso_record(data)
    images = parsed.fingers if hasattr(parsed, "fingers") else parsed
    assert images and all(0 < i.width < 2000 and 0 < i.height < 2000 for i in images)
    decoded = decode_image(images[0].image)
    assert decoded.shape[:2] == (images[0].height, images[0].width)
    for cut in (10, len(data) // 2, len(data) - 1):  # every truncation is refused, never crashes
        with pytest.raises(IsoRecordError, match=r"length|truncated"):
            read_iso_record(data[:cut])


def test_inconsistent_records_are_refused_with_clear_errors() -> None:
    image = synthetic_finger(4)
    good = write_finger_record([FingerImage(2, encode_image(image, "png"), 300, 420, "png")])
    with pytest.raises(IsoRecordError, match=r"format identifier|unknown biometric record"):
        read_iso_record(b"XYZ\x00" + good[4:])
    bad_version = good[:4] + b"099\x00" + good[8:]  # 010 (2005) and 020 (2011) are read
    with pytest.raises(IsoRecordError, match="version"):
        read_iso_record(bad_version)
    bad_position = bytearray(good)
    bad_position[16 + 4 + 9 + 5 + 1] = 99  # finger position just after the (empty) quality block list
    with pytest.raises(IsoRecordError, match="finger position 99"):
        read_iso_record(bytes(bad_position))
    with pytest.raises(IsoRecordError, match=r"unexpected bytes|length"):
        read_iso_record(good + b"\x00")


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300),
    prefix=st.sampled_from([b"FIR\x00020\x00", b"FAC\x00030\x00", b"IIR\x00020\x00"]),
)
def test_fuzzed_records_never_crash_the_reader(data: bytes, prefix: bytes) -> None:
    blob = prefix + len(prefix + data + b"\x00\x00\x00\x00").to_bytes(4, "big") + data
    with contextlib.suppress(IsoRecordError):
        read_iso_record(blob)


@settings(max_examples=200, deadline=None)
@given(index=st.integers(min_value=0, max_value=200), value=st.integers(min_value=0, max_value=255))
def test_mutated_valid_record_never_crashes_the_reader(index: int, value: int) -> None:
    record = bytearray(_small_record())
    record[index % len(record)] = value
    with contextlib.suppress(IsoRecordError):
        read_iso_record(bytes(record))


def _small_record() -> bytes:
    image = np.zeros((8, 8), np.uint8)
    return write_finger_record([FingerImage(3, encode_image(image, "png"), 8, 8, "png", (QualityBlock(50),))])

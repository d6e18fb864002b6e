"""Real-world 2005-edition records: the German BSI 2008 ePassport test data groups DG2 (face), DG3 (finger,
WSQ) and DG4 (iris), from ../shared/sample-biometrics (never committed; skipped where absent)."""

from __future__ import annotations

import contextlib
import struct
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_drivers.iso import IsoRecordError, QualityBlock, read_iso_record
from device_drivers.iso.images import decode_record_image

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "sample-biometrics" / "iso-2005-passport"
FACE, FINGER, IRIS = (f"jmrtd_bsi2008_Datagroup{n}.bdb0.iso" for n in (2, 3, 4))
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"2005-edition ePassport sample records not present at {SAMPLES}"
)


@cache
def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@needs_samples
def test_passport_face_dg2() -> None:
    (face,) = read_iso_record(_sample(FACE))
    assert (face.edition, face.image_format, face.face_image_type) == (2005, "jp2", 1)  # full frontal
    assert (face.width, face.height) == (337, 449) and face.quality == () and face.landmarks == b""
    # The sample's header says 337x449 but its JPEG 2000 holds 413x531 (its own header, checked here
    # from the codestream's SIZ marker): the reader keeps the record's words and the decoder the image's.
    siz = face.image.index(b"\xff\x51")
    width, height = struct.unpack(">II", face.image[siz + 6 : siz + 14])
    assert (width, height) == (413, 531)
    assert decode_record_image(face).shape == (531, 413, 3)


@needs_samples
def test_passport_finger_dg3_decodes_its_wsq_image() -> None:
    (finger,) = read_iso_record(_sample(FINGER)).fingers
    assert (finger.edition, finger.bio_subtype, finger.compression) == (2005, "Right IndexFinger", "wsq")
    assert (finger.width, finger.height, finger.resolution_ppi, finger.bit_depth) == (620, 620, 500, 8)
    assert finger.quality == (QualityBlock(100),) and finger.impression_type == 0
    pixels = decode_record_image(finger)
    assert pixels.shape == (620, 620) and 40 < pixels.mean() < 250


@needs_samples
def test_passport_iris_dg4() -> None:
    (iris,) = read_iso_record(_sample(IRIS))
    assert (iris.edition, iris.eye, iris.image_format, iris.bit_depth) == (2005, "Right", "jp2", 24)
    assert (iris.width, iris.height) == (163, 149) and iris.quality == (QualityBlock(51),)
    assert decode_record_image(iris).shape == (149, 163, 3)
    assert decode_record_image(iris, grayscale=True).shape == (149, 163)


@needs_samples
@pytest.mark.parametrize("name", [FACE, FINGER, IRIS])
def test_truncated_passport_records_are_refused(name: str) -> None:
    data = _sample(name)
    for cut in (3, 8, 13, 20, 45, 60, len(data) // 2, len(data) - 1):
        with pytest.raises(IsoRecordError, match=r"length|truncated"):
            read_iso_record(data[:cut])


@needs_samples
@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from([FACE, FINGER, IRIS]),
    index=st.integers(0, 80),  # the headers, where a flip changes the reading
    value=st.integers(0, 255),
)
def test_header_flips_in_passport_records_never_crash_the_reader(name: str, index: int, value: int) -> None:
    data = bytearray(_sample(name))
    data[index] = value
    with contextlib.suppress(IsoRecordError):
        read_iso_record(bytes(data))

"""Exact round trips of codes in several encodings (QR with ECI, Shift_JIS/Kanji, ISO-8859-1, backslashes,
PDF417, Data Matrix, Code 128, EAN-13), clean and degraded, and zxing-cpp winning where pyzbar misreads."""

from __future__ import annotations

import pytest

from device_drivers.barcode import BarcodeReader
from device_drivers.barcode_arbitration import arbitrate, at_limit
from device_drivers.barcode_backends import Decoder, load_pyzbar, load_zxing
from tests.support.barcode_samples import Sample, clean_samples, degraded, rotated

ONE_D = {"CODE128", "EAN13"}


@pytest.fixture(scope="module")
def reader() -> BarcodeReader:
    return BarcodeReader()


@pytest.fixture(scope="module")
def clean() -> dict[str, Sample]:
    return {sample.name: sample for sample in clean_samples()}


@pytest.fixture(scope="module")
def zxing() -> Decoder:
    return load_zxing()


@pytest.fixture(scope="module")
def pyzbar() -> Decoder:
    return load_pyzbar()


def test_every_encoding_comes_back_exactly(reader: BarcodeReader, clean: dict[str, Sample]) -> None:
    for sample in clean.values():
        results = reader.decode(sample.image)
        assert [(r.text, r.symbology, r.decoder) for r in results] == [
            (sample.text, sample.symbology, "zxing-cpp")
        ], sample.name


def test_mildly_degraded_codes_come_back_exactly(reader: BarcodeReader, clean: dict[str, Sample]) -> None:
    missed = []
    for sample in degraded(list(clean.values()), level="mild"):
        texts = [r.text for r in reader.decode(sample.image)]
        assert texts in ([], [sample.text]), sample.name  # a miss at worst, never a wrong text
        if not texts:
            missed.append(sample.name)
    # under mild rotation, blur, low contrast, noise and JPEG shrinking only a noisy 1-D code may be missed
    for name in missed:
        original, degradation = name.split("/")
        assert degradation == "noisy-mild" and clean[original].symbology in ONE_D, name
    assert len(missed) <= 2, missed


def test_strongly_degraded_codes_come_back_exactly_or_not_at_all(
    reader: BarcodeReader, clean: dict[str, Sample]
) -> None:
    for sample in degraded(list(clean.values()), level="strong"):
        assert [r.text for r in reader.decode(sample.image)] in ([], [sample.text]), sample.name


def test_pyzbar_misreads_lose_to_zxing_cpp(
    reader: BarcodeReader, clean: dict[str, Sample], zxing: Decoder, pyzbar: Decoder
) -> None:
    """zbar transcodes by guessing: a Shift_JIS backslash becomes ¥ or ＼, half-width katakana become
    kanji, Code 128's extended characters lose their high bit. The arbitration keeps zxing-cpp's text."""
    cases = [
        "segno-shift-jis-backslash",
        "qr-kanji-and-backslash",
        "qr-half-width-katakana",
        "code128-latin1",
    ]
    disagreements = 0
    for name in cases:
        sample = clean[name]
        zxing_reads, pyzbar_reads = zxing(sample.image), pyzbar(sample.image)
        assert [r.text for r in zxing_reads] == [sample.text], name
        disagreements += any(r.text != sample.text for r in pyzbar_reads)
        outcome = arbitrate(zxing_reads, pyzbar_reads)
        assert [r.text for r in outcome.results] == [sample.text], name
        assert all(kept.text == sample.text for _read, kept in outcome.overruled)
        assert [r.text for r in reader.decode(sample.image)] == [sample.text]
    assert disagreements >= 3  # with the libzbar of this machine: ¥, ＼, kanji for katakana, 'Gr|_e'
    assert reader.arbitrate(clean["segno-shift-jis-backslash"].image).overruled[0][0].text == "テスト C:¥tmp"


def test_a_read_that_used_all_its_error_correction_needs_a_second_opinion(
    reader: BarcodeReader, clean: dict[str, Sample], zxing: Decoder
) -> None:
    """zxing-cpp 3.1 'reads' this PDF417, turned 8 degrees, as junk with no error correction to spare."""
    sample = clean["pdf417-utf8-eci"]
    image = rotated(sample.image, 8)
    for read in zxing(image):
        assert read.text == sample.text or at_limit(read)
    outcome = reader.arbitrate(image)
    assert [r.text for r in outcome.results] in ([], [sample.text])
    assert all(at_limit(r) for r in outcome.refused)

"""The arbitration rule, read by read: zxing-cpp decides, fallbacks fill gaps with text no guess can alter."""

from __future__ import annotations

from device_drivers.barcode_arbitration import arbitrate, same_symbol
from device_drivers.barcode_backends import Decoded, zbar_text

QR_BOX = (40, 40, 160, 160)


def zxing(text: str, box=QR_BOX, margin: float | None = 0.8) -> Decoded:
    return Decoded("QRCODE", text, "zxing-cpp", box, margin)


def zbar(text: str, box=QR_BOX, symbology: str = "QRCODE") -> Decoded:
    return Decoded(symbology, text, "pyzbar", box)


def test_a_disagreeing_fallback_read_of_the_same_symbol_is_overruled() -> None:
    outcome = arbitrate([zxing("C:\\tmp")], [zbar("C:¥tmp", box=(42, 39, 158, 161))])
    assert [r.text for r in outcome.results] == ["C:\\tmp"]
    assert [(read.text, kept.text) for read, kept in outcome.overruled] == [("C:¥tmp", "C:\\tmp")]


def test_a_fallback_fills_a_gap_only_with_ascii_text() -> None:
    elsewhere = (400, 40, 520, 160)
    outcome = arbitrate([zxing("RID-1")], [zbar("PRE-REG-7", box=elsewhere), zbar("蹬靼翌QR", box=elsewhere)])
    assert [(r.text, r.decoder) for r in outcome.results] == [("RID-1", "zxing-cpp"), ("PRE-REG-7", "pyzbar")]
    assert [r.text for r in outcome.refused] == ["蹬靼翌QR"]


def test_zxing_cpp_is_sent_back_to_where_the_fallback_found_a_symbol() -> None:
    asked = []

    def reread(box):
        asked.append(box)
        return [zxing("ﾃﾞｻﾞｲﾝQR", box=box)]

    outcome = arbitrate([], [zbar("蹬靼翌QR")], reread=reread)
    assert asked == [QR_BOX]
    assert [r.text for r in outcome.results] == ["ﾃﾞｻﾞｲﾝQR"] and len(outcome.overruled) == 1


def test_a_read_at_the_limit_of_its_error_correction_needs_the_fallback_to_agree() -> None:
    assert arbitrate([zxing("junk", margin=0.0)], []).results == []
    confirmed = arbitrate([zxing("RID-1", margin=0.0)], [zbar("RID-1")])
    assert [r.text for r in confirmed.results] == ["RID-1"]
    disputed = arbitrate([zxing("RID-1", margin=0.0)], [zbar("RID-7")])
    assert disputed.results == [] and [r.text for r in disputed.refused] == ["RID-1"]


def test_one_result_per_text_in_zxing_cpp_order() -> None:
    reads = [zxing("A"), zxing("B", box=(300, 0, 400, 100)), zxing("A", box=(600, 0, 700, 100))]
    assert [r.text for r in arbitrate(reads, [zbar("A")]).results] == ["A", "B"]


def test_boxes_match_with_a_little_slack_and_positionless_reads_by_symbology() -> None:
    assert same_symbol((0, 100, 400, 100), (2, 95, 398, 105))  # a 1-D symbol as a line
    assert not same_symbol((0, 0, 100, 100), (300, 300, 400, 400))
    assert not same_symbol(None, QR_BOX)
    outcome = arbitrate([zxing("RID-1")], [Decoded("QRCODE", "RID-l", "opencv", None)])
    assert [r.text for r in outcome.results] == ["RID-1"] and len(outcome.overruled) == 1


def test_zbar_bytes_are_utf_8_or_nothing() -> None:
    assert zbar_text("Grüße".encode()) == "Grüße"
    assert zbar_text(b"Gr\xfc\xdfe") is None  # not decoded as Latin-1 on a guess
    assert zbar_text(b"\x83e\x83X\x83g") is None  # nor as Shift_JIS

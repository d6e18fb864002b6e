"""Barcode decoding of generated QR, Code 128 and PDF417 images, and the fallback without libzbar."""

from __future__ import annotations

from device_drivers.barcode import BarcodeReader, _load_zxing
from device_drivers.base import DeviceUnavailableError
from tests.unit.device_drivers.barcode_images import code128_image, pdf417_image, qr_image

RID = "10001100020004220260102030405"


def test_qr_code_128_and_pdf417_are_decoded() -> None:
    reader = BarcodeReader()
    assert reader.unavailable == {} and reader.decoders == ["pyzbar", "zxing-cpp"]
    assert RID in {r.text for r in reader.decode(qr_image(RID))}
    code128 = reader.decode(code128_image("PRE-REG-12345"))
    assert next((r.text, r.decoder) for r in code128) == ("PRE-REG-12345", "pyzbar")
    pdf = reader.decode(pdf417_image("ID<DOE<<JANE<1990-01-01<P123456"))
    assert [(r.text, r.decoder) for r in pdf] == [("ID<DOE<<JANE<1990-01-01<P123456", "zxing-cpp")]


def _missing() -> None:
    raise DeviceUnavailableError("pyzbar/libzbar is not available (libzbar0 missing)")


def test_without_libzbar_qr_falls_back_to_opencv_and_the_reason_is_kept() -> None:
    reader = BarcodeReader(loaders={"pyzbar": _missing, "zxing-cpp": _load_zxing})
    assert "libzbar0" in reader.unavailable["pyzbar"]
    assert reader.decoders == ["zxing-cpp", "opencv-qr"]
    only_opencv = BarcodeReader(loaders={"pyzbar": _missing})
    assert [(r.text, r.decoder) for r in only_opencv.decode(qr_image(RID))] == [(RID, "opencv")]
    assert (
        only_opencv.decode(pdf417_image("P<UTOERIKSSON<<ANNA<MARIA<<<<<<")) == []
    )  # PDF417 needs zxing-cpp: nothing, no crash


def test_scan_reads_the_first_code_from_a_camera_feed_of_jpeg_frames() -> None:
    import cv2

    from demo.synthetic import synthetic_document
    from device_drivers.base import PreviewFrame

    def jpeg(image):
        return PreviewFrame(jpeg=cv2.imencode(".jpg", image)[1].tobytes(), image=None, timestamp=0.0)

    feed = [None, jpeg(synthetic_document()), jpeg(synthetic_document(code="PRE-9")), None]
    result = BarcodeReader().scan(iter(feed), timeout_s=5)
    assert (result.text, result.symbology) == ("PRE-9", "QRCODE")


def test_scan_timeout_cancel_and_a_vanished_camera_are_explained() -> None:
    import itertools

    import pytest

    from demo.synthetic import synthetic_document
    from device_drivers.barcode import ScanCancelled
    from device_drivers.base import DeviceDisconnectedError, DeviceTimeoutError

    reader = BarcodeReader()
    blank = synthetic_document()
    with pytest.raises(DeviceTimeoutError, match="within 0.2 s"):
        reader.scan(itertools.repeat(blank), timeout_s=0.2)
    with pytest.raises(ScanCancelled):
        reader.scan(itertools.repeat(None), cancelled=lambda: True)
    with pytest.raises(DeviceDisconnectedError, match="stopped sending"):
        reader.scan(iter([blank, None]), timeout_s=5)

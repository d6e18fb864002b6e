"""Barcode decoding of generated QR, Code 128 and PDF417 images, and the fallback without libzbar."""

from __future__ import annotations

import itertools

import cv2

from device_drivers.barcode import BarcodeReader, _load_zxing
from device_drivers.base import DeviceUnavailableError
from tests.unit.device_drivers.barcode_images import code128_image, pdf417_image, qr_image

RID = "10001100020004220260102030405"


def test_qr_code_128_and_pdf417_are_decoded() -> None:
    reader = BarcodeReader()
    assert reader.unavailable == {} and reader.decoders == ["zxing-cpp", "pyzbar"]
    assert RID in {r.text for r in reader.decode(qr_image(RID))}
    code128 = reader.decode(code128_image("PRE-REG-12345"))
    assert [(r.text, r.decoder) for r in code128] == [("PRE-REG-12345", "zxing-cpp")]  # zxing-cpp decides
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


def test_pictures_that_are_not_bounded_8_bit_images_get_a_typed_error() -> None:
    import numpy as np
    import pytest

    from device_drivers.barcode import MAX_PIXELS, BarcodeImageError
    from device_drivers.base import CaptureFailedError

    reader = BarcodeReader()
    assert issubclass(BarcodeImageError, CaptureFailedError)  # the kiosk words it as a failed capture
    for bad, why in [
        (b"\x89PNG", "numpy array"),
        (np.zeros((10, 10), np.float32), "8-bit"),
        (np.zeros((10, 10, 2), np.uint8), "shape"),
        (np.zeros((0, 10), np.uint8), "empty"),
        (np.broadcast_to(np.uint8(255), (8000, MAX_PIXELS // 8000 + 1)), "too large"),
        (np.broadcast_to(np.uint8(255), (1, 20_001)), "too large"),
    ]:
        with pytest.raises(BarcodeImageError, match=why):
            reader.decode(bad)
    bgra = cv2.cvtColor(qr_image(RID), cv2.COLOR_BGR2BGRA)
    assert [r.text for r in reader.decode(bgra)] == [RID]
    assert [r.text for r in reader.decode(qr_image(RID)[:, :, :1])] == [RID]


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header says it is ``width`` x ``height`` pixels."""
    data = bytearray(cv2.imencode(".jpg", qr_image(RID))[1].tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_camera_frames_that_are_damaged_or_huge_are_refused_before_decoding() -> None:
    import pytest

    from device_drivers.barcode import BarcodeImageError, frame_image
    from device_drivers.base import PreviewFrame

    def frame(jpeg: bytes) -> PreviewFrame:
        return PreviewFrame(jpeg=jpeg, image=None, timestamp=0.0)

    with pytest.raises(BarcodeImageError, match="too large"):
        frame_image(frame(_jpeg_claiming(30_000, 30_000)))
    with pytest.raises(BarcodeImageError, match="not a readable picture"):
        frame_image(frame(b"\xff\xd8 not really a jpeg"))
    reader = BarcodeReader()
    good = frame(cv2.imencode(".jpg", qr_image(RID))[1].tobytes())
    damaged = frame(b"garbage")
    assert reader.scan(iter([damaged, good]), timeout_s=5).text == RID  # a dropped frame is skipped
    with pytest.raises(BarcodeImageError):  # only damaged frames: the timeout says why
        reader.scan(itertools.repeat(damaged), timeout_s=0.2)

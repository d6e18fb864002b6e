"""A generated set of barcodes in several encodings, and camera-like degradations of them, for the barcode
tests and the device benchmark.

The codes come from zxing-cpp's writer (``create_barcode``: QR with a UTF-8 or ISO-8859-1 ECI, Kanji
mode for Shift_JIS text, PDF417, Data Matrix, Code 128, EAN-13), plus two QR codes from segno, the
writer the server's letters use, which puts Shift_JIS or UTF-8 bytes in byte mode with no ECI, as many
phone apps do. Every image is an 8-bit grey numpy array; the degradations are deterministic.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

RID = "10001100020004220260102030405"


@dataclass(frozen=True)
class Sample:
    """One generated code: what it encodes, the symbology name the reader reports, and its picture."""

    name: str
    text: str
    symbology: str
    image: np.ndarray


# name, text, zxing-cpp format, creator options; the texts are the content the reader must give back
CODES: list[tuple[str, str, str, dict[str, str]]] = [
    ("qr-rid", RID, "QRCode", {}),
    ("qr-utf8-eci", "Grüße, Zoë — مريم الحسيني — 山田", "QRCode", {"eci": "UTF-8"}),
    ("qr-iso-8859-1-eci", "Müller; Façade; Ñandú", "QRCode", {"eci": "ISO-8859-1"}),
    ("qr-shift-jis-kanji", "山田太郎 漢字テスト", "QRCode", {}),
    ("qr-half-width-katakana", "ﾃﾞｻﾞｲﾝQR 0123", "QRCode", {}),
    ("qr-backslash", "C:\\openreg\\rid\\" + RID, "QRCode", {}),
    ("qr-kanji-and-backslash", "漢字 C:\\tmp\\名前", "QRCode", {}),
    ("pdf417-latin1", "ID<DOE<<ZOË<1990-01-01<P123456", "PDF417", {}),
    ("pdf417-utf8-eci", "Nom: Élodie Ağaoğlu / الاسم", "PDF417", {"eci": "UTF-8"}),
    ("datamatrix-ascii", "PRE-REG-" + RID, "DataMatrix", {}),
    ("datamatrix-utf8-eci", "Ana Lúcia São João", "DataMatrix", {"eci": "UTF-8"}),
    ("code128-ascii", "PRE-REG-12345", "Code128", {}),
    ("code128-latin1", "Grüße 42", "Code128", {}),
    ("ean13", "4006381333931", "EAN13", {}),
]
# (name, text, segno encoding): byte mode, no ECI
SEGNO_CODES = [
    ("segno-shift-jis-backslash", "テスト C:\\tmp", "shift_jis"),
    ("segno-utf8-no-eci", "Grüße مرحبا", "utf-8"),
]
SYMBOLOGY = {"QRCode": "QRCODE", "PDF417": "PDF417", "DataMatrix": "DATAMATRIX", "Code128": "CODE128"}


def _zxing_image(text: str, fmt: str, options: dict[str, str], *, scale: int) -> np.ndarray:
    import zxingcpp

    code = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, fmt), **options)
    return np.ascontiguousarray(np.asarray(code.to_image(scale=scale)), np.uint8)


def _segno_image(text: str, encoding: str, *, scale: int) -> np.ndarray:
    import segno

    buffer = io.BytesIO()
    segno.make_qr(text, encoding=encoding, eci=False).save(buffer, kind="png", scale=scale, border=4)
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


def clean_samples(*, scale: int = 4) -> list[Sample]:
    """Every code of the set, drawn clean at ``scale`` pixels a module, with a white margin."""
    samples = [
        Sample(
            name, text, SYMBOLOGY.get(fmt, fmt.upper()), _pad(_zxing_image(text, fmt, options, scale=scale))
        )
        for name, text, fmt, options in CODES
    ]
    samples += [
        Sample(name, text, "QRCODE", _pad(_segno_image(text, encoding, scale=scale)))
        for name, text, encoding in SEGNO_CODES
    ]
    return samples


def _pad(image: np.ndarray, border: int = 24) -> np.ndarray:
    return cv2.copyMakeBorder(image, border, border, border, border, cv2.BORDER_CONSTANT, value=255)


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turned about its centre on a white page, grown so no corner is cut off."""
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=255)


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    """Out of focus: a Gaussian blur of ``sigma`` pixels."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def low_contrast(image: np.ndarray, spread: int, *, mid: int = 140) -> np.ndarray:
    """Dark and light squeezed to ``spread`` grey levels around ``mid`` (a faded print, a dim room)."""
    scaled = mid - spread / 2 + image.astype(np.float32) * (spread / 255.0)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def noisy(image: np.ndarray, sigma: float, *, seed: int = 7) -> np.ndarray:
    """Sensor noise: Gaussian noise of ``sigma`` grey levels plus 1 % salt and pepper."""
    rng = np.random.default_rng(seed)
    noise = image.astype(np.float32) + rng.normal(0, sigma, image.shape)
    speckles = rng.random(image.shape)
    noise[speckles < 0.005], noise[speckles > 0.995] = 0, 255
    return np.clip(noise, 0, 255).astype(np.uint8)


def jpeg_small(image: np.ndarray, factor: float, quality: int) -> np.ndarray:
    """A far, cheap webcam: shrunk by ``factor`` and JPEG-compressed at ``quality``."""
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)


# name -> (mild, strong): the mild ones a kiosk camera must get through; the strong ones measure limits
DEGRADATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "rotated": (lambda i: rotated(i, 5), lambda i: rotated(i, 30)),
    "blurred": (lambda i: blurred(i, 1.2), lambda i: blurred(i, 2.2)),
    "low-contrast": (lambda i: low_contrast(i, 50), lambda i: low_contrast(i, 18)),
    "noisy": (lambda i: noisy(i, 20), lambda i: noisy(i, 60)),
    "small-jpeg": (lambda i: jpeg_small(i, 0.6, 40), lambda i: jpeg_small(i, 0.4, 25)),
}


def degraded(samples: list[Sample], *, level: str = "mild") -> Iterator[Sample]:
    """Each sample under each degradation at ``level`` ("mild" or "strong")."""
    index = {"mild": 0, "strong": 1}[level]
    for sample in samples:
        for name, levels in DEGRADATIONS.items():
            image = levels[index](sample.image)
            yield Sample(f"{sample.name}/{name}-{level}", sample.text, sample.symbology, image)

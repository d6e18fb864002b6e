"""Barcode decoder backends: zxing-cpp (the authority), pyzbar and OpenCV's QR detector (fallbacks).

Each backend turns a grey image into :class:`Decoded` reads: the text, where the symbol is, and whether
the text is the symbol's own content or a backend's guess at it. zxing-cpp reads the symbol's ECI
designators and, without one, tells Shift_JIS from ISO-8859-1 and UTF-8 by the bytes, so its text
(``TextMode.Plain``: the content as encoded, no ``(01)``-style GS1 brackets, no ``<GS>`` stand-ins) is
what the arbitration trusts. zbar also transcodes QR text to UTF-8 by its own guess, which turns a
Shift_JIS ``\\`` into ``¥`` and half-width katakana into kanji, and drops the high bit of Code 128's
extended characters; OpenCV's QR decoder guesses too. Their reads are only fallbacks (barcode_arbitration.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from device_drivers.base import BarcodeResult, DeviceUnavailableError

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels, inclusive of the symbol's edges

# zxing-cpp's format names, as the public symbology names zbar made familiar ("QRCODE", "CODE128", ...)
_SYMBOLOGY_ALIASES = {"ITF": "I25", "DATABAREXPANDED": "DATABAR_EXP", "DATABAREXP": "DATABAR_EXP"}


@dataclass(frozen=True)
class Decoded:
    """One symbol one backend read: its symbology (zbar-style name), text, backend name, position, and
    ``margin``: the share of the symbol's error correction left unused (zxing-cpp's UEC, 0..1; None
    where the backend does not say or the symbology has none). At 0 the symbol took every correction it
    had, which is where a Reed-Solomon decoder starts to "correct" into a wrong message."""

    symbology: str
    text: str
    decoder: str
    box: Box | None = None
    margin: float | None = None

    def result(self) -> BarcodeResult:
        return BarcodeResult(self.symbology, self.text, self.decoder)


Decoder = Callable[[np.ndarray], list[Decoded]]


def box_of(points: list[tuple[float, float]]) -> Box | None:
    """The bounding box of a symbol's corner points (None without points)."""
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))


def symbology_name(format_name: str) -> str:
    """``QRCode`` -> ``QRCODE``, ``Code128`` -> ``CODE128``, ``ITF`` -> ``I25`` (zbar's names)."""
    name = format_name.upper()
    return _SYMBOLOGY_ALIASES.get(name, name)


def load_zxing() -> Decoder:
    """zxing-cpp over every format it reads; text as the symbol encodes it (ECI and charset applied)."""
    try:
        zxingcpp = importlib.import_module("zxingcpp")
    except ImportError as exc:
        raise DeviceUnavailableError(
            f"zxing-cpp is not installed ({exc}); PDF417, Data Matrix and non-ASCII QR text cannot be read"
        ) from exc

    def decode(gray: np.ndarray) -> list[Decoded]:
        reads = []
        for found in zxingcpp.read_barcodes(gray, text_mode=zxingcpp.TextMode.Plain):
            where = found.position
            corners = (where.top_left, where.top_right, where.bottom_right, where.bottom_left)
            reads.append(
                Decoded(
                    symbology_name(found.format.name),
                    found.text,
                    "zxing-cpp",
                    box_of([(p.x, p.y) for p in corners]),
                    _unused_correction(found.extra),
                )
            )
        return reads

    return decode


def _unused_correction(extra: object) -> float | None:
    margin = extra.get("UEC") if isinstance(extra, dict) else None
    return float(margin) if isinstance(margin, int | float) and margin >= 0 else None


def zbar_text(data: bytes) -> str | None:
    """zbar hands over text already transcoded to UTF-8 (its documented output); anything that is not
    valid UTF-8 is binary content this reader has no faithful text for, so None, never a Latin-1 or
    Shift_JIS reading of the bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def load_pyzbar() -> Decoder:
    """zbar through pyzbar: QR and the common 1-D symbologies (no PDF417, no Data Matrix)."""
    try:
        pyzbar = importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError) as exc:  # pyzbar raises ImportError when libzbar0 is not installed
        raise DeviceUnavailableError(f"pyzbar/libzbar is not available ({exc}); install libzbar0") from exc

    def decode(gray: np.ndarray) -> list[Decoded]:
        reads = []
        for symbol in pyzbar.decode(gray):
            text = zbar_text(symbol.data)
            if text is not None:
                box = box_of([(p.x, p.y) for p in symbol.polygon])
                reads.append(Decoded(str(symbol.type), text, "pyzbar", box))
        return reads

    return decode


def opencv_qr(gray: np.ndarray) -> list[Decoded]:
    """OpenCV's QR detector: the QR fallback on a kiosk without libzbar."""
    detector = cv2.QRCodeDetector()
    text, points, _ = detector.detectAndDecode(gray)
    if text:
        return [Decoded("QRCODE", text, "opencv", _points_box(points))]
    ok, texts, points, _ = detector.detectAndDecodeMulti(gray)
    if not ok:
        return []
    return [Decoded("QRCODE", t, "opencv", _points_box(p)) for t, p in zip(texts, points, strict=False) if t]


def _points_box(points: np.ndarray | None) -> Box | None:
    if points is None:
        return None
    return box_of([(float(x), float(y)) for x, y in np.asarray(points).reshape(-1, 2)])

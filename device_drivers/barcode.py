"""Barcode decoding: pyzbar (QR + 1-D), OpenCV's QR detector when libzbar is absent, zxing-cpp for PDF417.

Each backend is optional: a missing library disables that backend with a reason (``unavailable``) and
the others keep working. Keyboard-wedge scanners need nothing here: they type the code plus Enter into
the focused client field, which the client treats as plain input. Scanning with a camera is
:meth:`BarcodeReader.scan`: it decodes live preview frames until the first code, a timeout or a cancel.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable

import cv2
import numpy as np

from device_drivers.base import (
    BarcodeResult,
    DeviceDisconnectedError,
    DeviceError,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    DeviceTimeoutError,
    DeviceUnavailableError,
    Modality,
    PreviewFrame,
)

Decoder = Callable[[np.ndarray], list[BarcodeResult]]


def _load_pyzbar() -> Decoder:
    try:
        pyzbar = importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError) as exc:  # pyzbar raises ImportError when libzbar0 is not installed
        raise DeviceUnavailableError(f"pyzbar/libzbar is not available ({exc}); install libzbar0") from exc

    def decode(gray: np.ndarray) -> list[BarcodeResult]:
        return [
            BarcodeResult(str(s.type), s.data.decode("utf-8", "replace"), "pyzbar")
            for s in pyzbar.decode(gray)
        ]

    return decode


def _load_zxing() -> Decoder:
    try:
        zxingcpp = importlib.import_module("zxingcpp")
    except ImportError as exc:
        raise DeviceUnavailableError(f"zxing-cpp is not installed ({exc}); PDF417 cannot be read") from exc

    def decode(gray: np.ndarray) -> list[BarcodeResult]:
        return [
            BarcodeResult(
                str(r.format).split(".")[-1].upper().replace("PDF417", "PDF417"), r.text, "zxing-cpp"
            )
            for r in zxingcpp.read_barcodes(gray)
        ]

    return decode


def _opencv_qr(gray: np.ndarray) -> list[BarcodeResult]:
    detector = cv2.QRCodeDetector()
    text, _points, _ = detector.detectAndDecode(gray)
    if text:
        return [BarcodeResult("QRCODE", text, "opencv")]
    ok, texts, _points, _ = detector.detectAndDecodeMulti(gray)
    return [BarcodeResult("QRCODE", t, "opencv") for t in (texts if ok else []) if t]


class ScanCancelled(DeviceError):
    """The officer closed the scanner before a code was read."""


def frame_image(frame: PreviewFrame | np.ndarray) -> np.ndarray | None:
    """The pixels of a preview frame: its array when the device gave one, else its JPEG decoded."""
    if isinstance(frame, np.ndarray):
        return frame
    if frame.image is not None:
        return frame.image  # type: ignore[return-value]
    if frame.jpeg:
        return cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    return None


LOADERS: dict[str, Callable[[], Decoder]] = {"pyzbar": _load_pyzbar, "zxing-cpp": _load_zxing}


class BarcodeReader:
    """Decode every barcode in an image (BGR or gray numpy array). Results are de-duplicated by text."""

    modality = Modality.BARCODE

    def __init__(self, *, loaders: dict[str, Callable[[], Decoder]] | None = None) -> None:
        self.unavailable: dict[str, str] = {}
        self._decoders: list[tuple[str, Decoder]] = []
        for name, loader in (loaders or LOADERS).items():
            try:
                self._decoders.append((name, loader()))
            except DeviceUnavailableError as exc:
                self.unavailable[name] = str(exc)
        if "pyzbar" in self.unavailable:
            self._decoders.append(("opencv-qr", _opencv_qr))  # QR still works without libzbar

    @property
    def decoders(self) -> list[str]:
        return [name for name, _ in self._decoders]

    def info(self) -> DeviceInfo:
        """Barcode decoding is software over camera frames or scans; always ready once a decoder loaded."""
        if not self._decoders:
            raise DeviceUnavailableError(
                "No barcode decoder is available: " + "; ".join(self.unavailable.values())
            )
        identity = DeviceIdentity(
            make="OpenReg",
            model="software decoder (" + ", ".join(self.decoders) + ")",
            serial="barcode",
            device_id="barcode",
        )
        return DeviceInfo(
            key="barcode:software",
            modality=Modality.BARCODE,
            identity=identity,
            status=DeviceStatus.READY,
            detail="; ".join(self.unavailable.values()),
        )

    def decode(self, image: np.ndarray) -> list[BarcodeResult]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        found: dict[str, BarcodeResult] = {}
        for _name, decoder in self._decoders:
            for result in decoder(gray):
                found.setdefault(result.text, result)
        return list(found.values())

    def scan(
        self,
        frames: Iterable[PreviewFrame | np.ndarray | None],
        *,
        timeout_s: float = 20.0,
        cancelled: Callable[[], bool] = lambda: False,
        accept: Callable[[BarcodeResult], bool] = lambda _r: True,
    ) -> BarcodeResult:
        """Decode ``frames`` (a live camera feed) until the first accepted code.

        ``frames`` may yield ``None`` when no new frame arrived yet, so the timeout and ``cancelled`` are
        checked even while the camera is silent. Blocks: run it off the UI thread. Raises
        :class:`ScanCancelled` or :class:`DeviceTimeoutError` with a message for the officer."""
        deadline = time.monotonic() + timeout_s
        for frame in frames:
            if cancelled():
                raise ScanCancelled("Scanning was cancelled.")
            image = frame_image(frame) if frame is not None else None
            if image is not None:
                found = [r for r in self.decode(image) if r.text.strip() and accept(r)]
                if found:
                    return found[0]
            if time.monotonic() > deadline:
                break
        else:
            if cancelled():
                raise ScanCancelled("Scanning was cancelled.")
            # the feed ended on its own: the camera went away
            raise DeviceDisconnectedError("The camera stopped sending pictures before a code was read.")
        raise DeviceTimeoutError(
            f"No barcode or QR code was read within {timeout_s:g} s. Hold the code flat and still in front "
            "of the camera, closer and well lit, and scan again, or type the number."
        )

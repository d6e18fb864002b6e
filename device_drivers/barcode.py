"""Barcode decoding: zxing-cpp decides; pyzbar (or OpenCV's QR detector without libzbar) fills gaps.

zxing-cpp reads QR (ECI, UTF-8, Shift_JIS/Kanji, ISO-8859-1), PDF417, Data Matrix, Aztec and the 1-D
symbologies, and its text is the one the kiosk believes. pyzbar only adds symbols zxing-cpp could not
read, even when zxing-cpp is sent back to look at that spot, and a pyzbar read that disagrees with
zxing-cpp never wins (barcode_arbitration.py says the rule). Each backend is optional: a missing library
disables it with a reason (``unavailable``) and the others keep working. Keyboard-wedge scanners need
nothing here: they type the code plus Enter into the focused client field. Scanning with a camera is
:meth:`BarcodeReader.scan`: it decodes live preview frames until the first code, a timeout or a cancel.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable

import cv2
import numpy as np

from device_drivers.barcode_arbitration import AUTHORITY, Arbitration, arbitrate
from device_drivers.barcode_backends import Box, Decoded, Decoder, load_pyzbar, load_zxing, opencv_qr
from device_drivers.base import (
    BarcodeResult,
    CaptureFailedError,
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

MAX_PIXELS = 40_000_000  # an A4 page scanned at 600 dpi is 35 Mpx; a camera frame is far less
MAX_SIDE = 20_000
MAX_JPEG_BYTES = 32 * 1024 * 1024
REREAD_SIDE = 480  # zxing-cpp looks again at a region pyzbar found, enlarged to about this size

# the names earlier releases exported; the loaders and the OpenCV fallback live in barcode_backends
_load_pyzbar, _load_zxing, _opencv_qr = load_pyzbar, load_zxing, opencv_qr
LOADERS: dict[str, Callable[[], Decoder]] = {"zxing-cpp": load_zxing, "pyzbar": load_pyzbar}

__all__ = [
    "LOADERS",
    "MAX_PIXELS",
    "BarcodeImageError",
    "BarcodeReader",
    "Decoded",
    "ScanCancelled",
    "frame_image",
    "grey_image",
]


class ScanCancelled(DeviceError):
    """The officer closed the scanner before a code was read."""


class BarcodeImageError(CaptureFailedError):
    """The picture handed to the decoder is not one it can read: wrong kind, empty, damaged or too large."""


def grey_image(image: object) -> np.ndarray:
    """``image`` (8-bit grey, BGR or BGRA numpy array) as a contiguous grey array, or BarcodeImageError."""
    if not isinstance(image, np.ndarray):
        raise BarcodeImageError(f"a barcode image must be a numpy array, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise BarcodeImageError(f"a barcode image must have 8-bit pixels, not {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise BarcodeImageError(f"a barcode image must be grey, BGR or BGRA, not of shape {image.shape}")
    _check_size(image.shape[1], image.shape[0])
    if image.ndim == 3:
        code = cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        image = cv2.cvtColor(image, code)
    return np.ascontiguousarray(image)


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise BarcodeImageError("the barcode image is empty")
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise BarcodeImageError(
            f"the barcode image is too large ({width}x{height} pixels; at most {MAX_PIXELS} pixels and "
            f"{MAX_SIDE} on a side)"
        )


def frame_image(frame: PreviewFrame | np.ndarray) -> np.ndarray | None:
    """The pixels of a preview frame: its array when the device gave one, else its JPEG decoded (grey).
    None for a frame with neither; BarcodeImageError for a JPEG that is damaged or too large."""
    if isinstance(frame, np.ndarray):
        return frame
    if frame.image is not None:
        return frame.image  # type: ignore[return-value]
    if not frame.jpeg:
        return None
    if len(frame.jpeg) > MAX_JPEG_BYTES:
        raise BarcodeImageError(f"the camera frame is too large ({len(frame.jpeg)} bytes of JPEG)")
    from PIL import Image, UnidentifiedImageError

    try:  # the header alone: refuse a huge picture before decoding it
        with Image.open(io.BytesIO(frame.jpeg)) as header:
            _check_size(*header.size)
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, far above ours
        raise BarcodeImageError(f"the camera frame is too large ({exc})") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BarcodeImageError(f"the camera frame is not a readable picture ({exc})") from exc
    pixels = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        raise BarcodeImageError("the camera frame is a damaged JPEG")
    return pixels


class BarcodeReader:
    """Decode every barcode in an image (grey, BGR or BGRA uint8 numpy array), one result per text."""

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
            self._decoders.append(("opencv-qr", opencv_qr))  # QR still works without libzbar

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
        """Every code in ``image``, as the arbitration decided. Raises BarcodeImageError for a picture
        that is not a bounded 8-bit grey/BGR/BGRA array."""
        return [read.result() for read in self.arbitrate(image).results]

    def arbitrate(self, image: np.ndarray) -> Arbitration:
        """Every backend's reads of ``image`` and what the arbitration made of them (for the record and
        the benchmark: which pyzbar reads zxing-cpp overruled, which were refused)."""
        gray = grey_image(image)
        zxing = dict(self._decoders).get(AUTHORITY)
        authority = zxing(gray) if zxing is not None else []
        fallbacks = [read for name, decoder in self._decoders if name != AUTHORITY for read in decoder(gray)]
        reread = (lambda box: _reread(zxing, gray, box)) if zxing is not None else None
        return arbitrate(authority, fallbacks, reread=reread)

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
        checked even while the camera is silent. A frame whose JPEG is damaged is skipped (webcams drop
        one now and then); if no frame at all could be read, the timeout says why. Blocks: run it off the
        UI thread. Raises :class:`ScanCancelled`, :class:`DeviceTimeoutError` with a message for the
        officer, or :class:`BarcodeImageError` for a picture too large or unreadable."""
        deadline = time.monotonic() + timeout_s
        damaged: BarcodeImageError | None = None
        readable = False
        for frame in frames:
            if cancelled():
                raise ScanCancelled("Scanning was cancelled.")
            try:
                image = frame_image(frame) if frame is not None else None
            except BarcodeImageError as exc:
                damaged, image = exc, None
            if image is not None:
                readable = True
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
        if damaged is not None and not readable:
            raise damaged
        raise DeviceTimeoutError(
            f"No barcode or QR code was read within {timeout_s:g} s. Hold the code flat and still in front "
            "of the camera, closer and well lit, and scan again, or type the number."
        )


def _reread(zxing: Decoder, gray: np.ndarray, box: Box) -> list[Decoded]:
    """zxing-cpp on the region ``box`` of ``gray`` (with a margin, enlarged when small); the reads'
    boxes are given back in ``gray``'s coordinates."""
    x0, y0, x1, y1 = box
    if min(x1 - x0, y1 - y0) < 8:  # zbar places a 1-D symbol by a point or a line: look at the whole image
        left, top, region = 0, 0, gray
    else:
        margin = max(16, (x1 - x0) // 2, (y1 - y0) // 2)
        left, top = max(0, x0 - margin), max(0, y0 - margin)
        region = gray[top : min(gray.shape[0], y1 + margin + 1), left : min(gray.shape[1], x1 + margin + 1)]
    if region.size == 0:
        return []
    scale = min(4.0, max(1.0, REREAD_SIDE / max(region.shape)))
    if scale > 1.0:
        region = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    reads = zxing(np.ascontiguousarray(region))
    if not reads:  # a faded or dim symbol: stretch its grey levels to the full range and look again
        reads = zxing(cv2.normalize(region, None, 0, 255, cv2.NORM_MINMAX))
    if not reads:  # specks of sensor noise break the bars: smooth them out and look once more
        reads = zxing(cv2.medianBlur(region, 3 if scale < 2 else 5))
    found = []
    for read in reads:
        where = read.box
        if where is not None:
            where = (
                left + int(where[0] / scale),
                top + int(where[1] / scale),
                left + int(where[2] / scale),
                top + int(where[3] / scale),
            )
        found.append(Decoded(read.symbology, read.text, read.decoder, where))
    return found

"""Encode/decode the image payloads carried in ISO records.

Decoding: JPEG, JPEG 2000 (JP2 file or bare codestream) and PNG through OpenCV (libjpeg-turbo, OpenJPEG,
libpng), after Pillow has read the declared size from the header so that no image over
``MAX_IMAGE_PIXELS`` is ever expanded; WSQ through the ``wsq`` package (``wsq_codec``, in a child
process); raw greyscale (1-16 bit) and raw RGB from the record's width, height and depth. JPEG-LS and
bit-packed raw below 8 bits raise ``UnsupportedImageError``; a damaged image raises ``IsoRecordError``.

Encoding: OpenCV writes JPEG 2000 through OpenJPEG; with IMWRITE_JPEG2000_COMPRESSION_X1000 = 1000 it uses
the reversible (lossless) wavelet, which tests/unit/device_drivers/test_iso_records.py checks pixel by
pixel. WSQ is written through the ``wsq`` package.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from device_drivers.iso.common import IsoRecordError, UnsupportedImageError
from device_drivers.iso.model import FaceImage, FingerImage, IrisImage
from device_drivers.iso.wsq_codec import decode_wsq, encode_wsq

MAX_IMAGE_PIXELS = 40_000_000  # larger than any finger, iris or face capture, far below what hurts memory
RAW_FORMATS = ("raw", "raw-packed", "raw-rgb")


def encode_image(image: np.ndarray, image_format: str) -> bytes:
    if image_format == "jp2":
        ok, buf = cv2.imencode(".jp2", image, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1000])
    elif image_format == "png":
        ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    elif image_format == "jpeg":
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    elif image_format == "wsq":
        return encode_wsq(image)
    else:
        raise IsoRecordError(f"unsupported image format {image_format!r}")
    if not ok:
        raise IsoRecordError(f"could not encode the image as {image_format}")
    return buf.tobytes()


def decode_image(
    payload: bytes,
    *,
    grayscale: bool = False,
    image_format: str | None = None,
    width: int | None = None,
    height: int | None = None,
    bit_depth: int = 8,
) -> np.ndarray:
    """The pixels of ``payload`` (BGR or greyscale, as OpenCV gives them). Encoded formats are recognised
    from the bytes; ``image_format`` (a record's name for it), ``width``, ``height`` and ``bit_depth`` are
    needed for raw images only. Raises IsoRecordError (UnsupportedImageError for formats not decoded here)."""
    if image_format in RAW_FORMATS:
        if width is None or height is None:
            raise IsoRecordError("a raw image needs the width and height its record gives")
        return _decode_raw(payload, image_format, width, height, bit_depth, grayscale=grayscale)
    if image_format == "jpeg-ls":
        raise UnsupportedImageError("JPEG-LS images are not supported")
    if payload.startswith(b"\xff\xa0"):
        return decode_wsq(payload, max_pixels=MAX_IMAGE_PIXELS)
    if not payload:
        raise IsoRecordError("the record holds no image data")
    _check_declared_size(payload)
    flags = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(np.frombuffer(payload, dtype=np.uint8), flags)
    except cv2.error as exc:
        raise IsoRecordError(f"the image inside the record cannot be decoded: {exc}") from exc
    if image is None:
        raise IsoRecordError("the image inside the record cannot be decoded")
    return image


def decode_record_image(item: FingerImage | FaceImage | IrisImage, *, grayscale: bool = False) -> np.ndarray:
    """The pixels of a record's image, with the record's own format, size and depth (needed for raw)."""
    image_format = item.compression if isinstance(item, FingerImage) else item.image_format
    depth = 8 if isinstance(item, FaceImage) else item.bit_depth
    return decode_image(
        item.image,
        grayscale=grayscale,
        image_format=image_format,
        width=item.width,
        height=item.height,
        bit_depth=depth,
    )


def _check_declared_size(payload: bytes) -> None:
    """Refuse an image whose header declares more than MAX_IMAGE_PIXELS, before anything is expanded.
    Pillow reads only the header here; what it cannot identify is left to OpenCV to accept or refuse."""
    try:
        with Image.open(io.BytesIO(payload), formats=["JPEG", "JPEG2000", "PNG"]) as probe:
            width, height = probe.size
    except Image.DecompressionBombError as exc:
        raise IsoRecordError(f"the image inside the record is too large: {exc}") from exc
    except Exception:  # any parse failure: Pillow cannot tell the size, so OpenCV decides
        return
    if width * height > MAX_IMAGE_PIXELS:
        raise IsoRecordError(
            f"the image inside the record is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS} limit"
        )


def _decode_raw(
    payload: bytes, image_format: str, width: int, height: int, depth: int, *, grayscale: bool
) -> np.ndarray:
    if width * height > MAX_IMAGE_PIXELS:
        raise IsoRecordError(f"the raw image is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS} limit")
    if image_format == "raw-rgb":
        channels, dtype = 3, np.dtype(np.uint8)
    elif image_format == "raw-packed" and depth != 8:
        raise UnsupportedImageError(f"bit-packed raw images of depth {depth} are not supported")
    elif 1 <= depth <= 16:
        channels, dtype = 1, np.dtype(np.uint8 if depth <= 8 else ">u2")
    else:
        raise IsoRecordError(f"a raw greyscale image cannot have depth {depth}")
    expected = width * height * channels * dtype.itemsize
    if len(payload) != expected:
        raise IsoRecordError(
            f"the raw image has {len(payload)} bytes; {width}x{height} at depth {depth} needs {expected}"
        )
    pixels = np.frombuffer(payload, dtype)
    if channels == 3:
        rgb = pixels.reshape(height, width, 3)
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY if grayscale else cv2.COLOR_RGB2BGR)
    return pixels.reshape(height, width).astype(np.uint16 if depth > 8 else np.uint8)

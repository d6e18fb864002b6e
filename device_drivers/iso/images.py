"""Encode/decode the image payloads carried in ISO records: JPEG 2000 lossless or PNG.

OpenCV writes JPEG 2000 through OpenJPEG; with IMWRITE_JPEG2000_COMPRESSION_X1000 = 1000 it uses the
reversible (lossless) wavelet, which tests/unit/device_drivers/test_iso_records.py checks pixel by pixel.
"""

from __future__ import annotations

import cv2
import numpy as np

from device_drivers.iso.common import IsoRecordError


def encode_image(image: np.ndarray, image_format: str) -> bytes:
    if image_format == "jp2":
        ok, buf = cv2.imencode(".jp2", image, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1000])
    elif image_format == "png":
        ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    elif image_format == "jpeg":
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    else:
        raise IsoRecordError(f"unsupported image format {image_format!r}")
    if not ok:
        raise IsoRecordError(f"could not encode the image as {image_format}")
    return buf.tobytes()


def decode_image(payload: bytes, *, grayscale: bool = False) -> np.ndarray:
    flags = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(np.frombuffer(payload, dtype=np.uint8), flags)
    if image is None:
        raise IsoRecordError("the image inside the record cannot be decoded")
    return image

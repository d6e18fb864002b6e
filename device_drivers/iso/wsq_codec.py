"""WSQ (the FBI's Wavelet Scalar Quantization) fingerprint images through the ``wsq`` package on PyPI, a
Pillow plugin around NIST's NBIS codec.

NBIS is C that can crash the whole process on a damaged image (a fuzz run here hit a segmentation fault),
so decoding runs in a short-lived child Python process with a time and size limit, and a crash there
comes back as ``IsoRecordError``. Encoding takes the project's own pixels and runs in-process. Without the
``wsq`` package (the kiosk bundle leaves it out) both raise ``UnsupportedImageError``; the child is then
never started.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys

import numpy as np

from device_drivers.iso.common import IsoRecordError, UnsupportedImageError

DECODE_TIMEOUT_S = 30
_DECODER = """
import io, sys, warnings
from PIL import Image
import wsq  # registers the WSQ plugin with Pillow
warnings.simplefilter("error", Image.DecompressionBombWarning)
Image.MAX_IMAGE_PIXELS = int(sys.argv[1])
with Image.open(io.BytesIO(sys.stdin.buffer.read()), formats=["WSQ"]) as image:
    image = image.convert("L")
    sys.stdout.buffer.write(b"%d %d\\n" % image.size + image.tobytes())
"""


def wsq_available() -> bool:
    return importlib.util.find_spec("wsq") is not None


def _require() -> None:
    if not wsq_available():
        raise UnsupportedImageError("WSQ images cannot be decoded here: the 'wsq' package is not installed")


def decode_wsq(payload: bytes, *, max_pixels: int) -> np.ndarray:
    """The greyscale pixels of a WSQ image of at most ``max_pixels``; IsoRecordError when it is damaged."""
    _require()
    if not payload.startswith(b"\xff\xa0"):
        raise IsoRecordError("the WSQ image does not start with its SOI marker (FFA0)")
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-B", "-c", _DECODER, str(max_pixels)],
            input=payload,
            capture_output=True,
            timeout=DECODE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise IsoRecordError(f"the WSQ image took longer than {DECODE_TIMEOUT_S} s to decode") from exc
    except OSError as exc:
        raise UnsupportedImageError(f"the WSQ decoder could not be started: {exc}") from exc
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1][:200] if lines else f"decoder ended with status {done.returncode}"
        raise IsoRecordError(f"the WSQ image cannot be decoded ({detail})")
    header, _, pixels = done.stdout.partition(b"\n")
    try:
        width, height = (int(v) for v in header.split())
    except ValueError as exc:
        raise IsoRecordError("the WSQ decoder gave no image size") from exc
    if width * height != len(pixels) or width * height > max_pixels:
        raise IsoRecordError("the WSQ decoder gave pixels that do not match the image size")
    return np.frombuffer(pixels, np.uint8).reshape(height, width).copy()


def encode_wsq(image: np.ndarray) -> bytes:
    """A greyscale 8-bit image as WSQ (NBIS's default bit rate, about 15:1)."""
    _require()
    import wsq  # noqa: F401  (registers the WSQ plugin with Pillow; optional, hence imported here)
    from PIL import Image

    if image.dtype != np.uint8 or image.ndim != 2:
        raise IsoRecordError("WSQ holds 8-bit greyscale images only")
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="WSQ")
    return out.getvalue()

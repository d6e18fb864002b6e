"""Generated barcode images for tests and the benchmark: QR (segno), Code 128 (reportlab's encoder,
bars drawn here since reportlab has no raster backend installed), PDF417 (pdf417gen)."""

from __future__ import annotations

import io

import cv2
import numpy as np


def qr_image(text: str) -> np.ndarray:
    import segno

    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=6, border=4)
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)


def code128_image(text: str, *, module: int = 3, height: int = 100) -> np.ndarray:
    from reportlab.graphics.barcode.code128 import Code128

    barcode = Code128(text)
    barcode.validate()
    barcode.encode()
    barcode.decompose()
    # decomposed: upper case = bar, lower case = space; letter a..d = 1..4 modules wide
    widths = [((ord(c.lower()) - 96) * module, c.isupper()) for c in barcode.decomposed]
    quiet = 12 * module
    image = np.full((height + 40, sum(w for w, _ in widths) + 2 * quiet), 255, np.uint8)
    x = quiet
    for width, bar in widths:
        if bar:
            image[20 : 20 + height, x : x + width] = 0
        x += width
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def pdf417_image(text: str) -> np.ndarray:
    import pdf417gen

    rendered = pdf417gen.render_image(pdf417gen.encode(text, columns=6), scale=3, ratio=3, padding=10)
    return cv2.cvtColor(np.array(rendered.convert("RGB")), cv2.COLOR_RGB2BGR)

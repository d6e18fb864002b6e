"""A 0-100 quality estimate for a fingerprint image a plain reader returns (libfprint gives none).

Certified SBI devices score their own captures; a libfprint reader only hands over pixels, so the
kiosk scores them itself from two measures fingerprint quality standards build on (ISO/IEC 29794-4,
NFIQ 2's feature set): how much of the image is finger (blocks with ridge contrast) and how clear the
ridge flow is there (orientation certainty: the coherence of the grey-level gradients in each
block, near 1 where ridges run cleanly in one direction, near 0 in noise, smudges or a blank
window). It is a screening figure for the officer's retry decision, not a certified NFIQ 2 score.
"""

from __future__ import annotations

import numpy as np

BLOCK = 16  # pixels per block side at 500 ppi: about two ridge periods
MIN_CONTRAST = 12.0  # grey-level standard deviation below which a block is background
FULL_COVERAGE = 0.45  # the share of the image a well-placed finger covers on a typical reader
# Mean coherence of the finger's blocks: about 0.1 in random noise, 0.85 and up for clean ridges.
NOISE_COHERENCE, CLEAR_COHERENCE = 0.15, 0.75


def finger_quality(image: np.ndarray, *, ppi: int = 500) -> int:
    """0 (no usable finger) to 100 (a finger filling the window with clear ridges), for an 8-bit
    greyscale ``image``."""
    if image.ndim != 2 or min(image.shape) < 2 * BLOCK:
        return 0
    block = max(8, round(BLOCK * ppi / 500))
    rows, cols = image.shape[0] // block, image.shape[1] // block
    pixels = image[: rows * block, : cols * block].astype(np.float32)
    tiles = pixels.reshape(rows, block, cols, block).swapaxes(1, 2)  # rows x cols x block x block
    contrast = tiles.std(axis=(2, 3))
    foreground = contrast >= MIN_CONTRAST
    if not foreground.any():
        return 0
    gy, gx = np.gradient(pixels)
    gxx = (gx * gx).reshape(rows, block, cols, block).sum(axis=(1, 3))
    gyy = (gy * gy).reshape(rows, block, cols, block).sum(axis=(1, 3))
    gxy = (gx * gy).reshape(rows, block, cols, block).sum(axis=(1, 3))
    energy = gxx + gyy
    coherence = np.sqrt((gxx - gyy) ** 2 + 4 * gxy**2) / np.maximum(energy, 1e-6)
    clarity = float(coherence[foreground].mean())
    coverage = float(foreground.mean())
    clear = (clarity - NOISE_COHERENCE) / (CLEAR_COHERENCE - NOISE_COHERENCE)
    score = 100 * min(1.0, max(0.0, clear)) * min(1.0, coverage / FULL_COVERAGE)
    return round(max(0.0, min(100.0, score)))

"""Iris templates: Daugman's scheme on OpenCV primitives (no model to download).

The pupil is the largest dark round blob; the limbus is the strongest dark-to-bright step along
horizontal rays (eyelids cover the top and bottom). The ring between them is unrolled to a fixed
32 x 256 strip (rubber sheet, so pupil dilation does not matter), filtered with an even and an odd
Gabor kernel along the angle, and the signs of both give a 2 x 32 x 256 bit code. Two codes compare by
the fraction of disagreeing valid bits (Hamming distance), over small circular shifts for head tilt.
"""

from __future__ import annotations

import io

import cv2
import numpy as np

RADIAL, ANGULAR = 32, 256
MAX_SHIFT = 12  # columns of 360/256 degrees: about 17 degrees of eye turn either way
# Hamming distances that map to 100 and to 0: re-captures measure 0.10-0.30, other eyes 0.42-0.50.
HD_FULL, HD_FLOOR = 0.25, 0.42
_EVEN = cv2.getGaborKernel((1, 31), 4.0, np.pi / 2, 16.0, 1.0, 0).reshape(1, -1).astype(np.float32)
_PAD = 16
_ODD = cv2.getGaborKernel((1, 31), 4.0, np.pi / 2, 16.0, 1.0, np.pi / 2).reshape(1, -1).astype(np.float32)


class IrisNotFound(ValueError):
    """No pupil or iris ring could be located in the image."""


def _pupil(gray: np.ndarray) -> tuple[float, float, float]:
    blurred = cv2.GaussianBlur(gray, (7, 7), 0)
    level = float(np.percentile(blurred, 1)) + 25
    dark = cv2.morphologyEx((blurred < level).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(dark, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best = None
    for contour in contours:
        area = cv2.contourArea(contour)
        (x, y), r = cv2.minEnclosingCircle(contour)
        round_enough = r >= 8 and r < min(gray.shape) / 4 and area / (np.pi * r * r) > 0.6
        if round_enough and (best is None or area > best[0]):
            best = (area, x, y, r)
    if best is None or float(np.median(blurred)) - level < 20:  # no dark disc on a brighter eye
        raise IrisNotFound("no pupil found")
    return best[1], best[2], best[3]


def _limbus(gray: np.ndarray, cx: float, cy: float, pupil: float) -> float:
    radii = np.arange(pupil * 1.5, pupil * 5.0, 1.0, dtype=np.float32)
    angles = np.radians(np.r_[-30:31:3, 150:211:3]).astype(np.float32)
    xs = (cx + np.outer(np.cos(angles), radii)).astype(np.float32)
    ys = (cy + np.outer(np.sin(angles), radii)).astype(np.float32)
    rays = cv2.remap(
        cv2.GaussianBlur(gray, (5, 5), 0).astype(np.float32),
        xs,
        ys,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    step = np.diff(np.median(rays, axis=0))
    if step.size == 0:
        raise IrisNotFound("the image is too small for an iris")
    return float(radii[int(np.argmax(step)) + 1])


def iris_template(gray: np.ndarray) -> bytes:
    """The iris code and its validity mask of one grayscale eye image, as ``.npz`` bytes."""
    cx, cy, pupil = _pupil(gray)
    limbus = _limbus(gray, cx, cy, pupil)
    t = np.linspace(0.05, 0.95, RADIAL, dtype=np.float32)[:, None]
    a = np.linspace(0, 2 * np.pi, ANGULAR, endpoint=False, dtype=np.float32)[None, :]
    radius = pupil + t * (limbus - pupil)
    strip = cv2.remap(
        gray.astype(np.float32),
        cx + radius * np.cos(a),
        cy + radius * np.sin(a),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    valid = (strip > 10) & (strip < 235)  # reflections and lashes
    valid[:, (a[0] > np.radians(220)) & (a[0] < np.radians(320))] = False  # the upper eyelid
    strip = (strip - strip.mean()) / (strip.std() + 1e-6)
    wrapped = np.pad(strip, ((0, 0), (_PAD, _PAD)), mode="wrap")  # the strip is a ring: no edge
    even = cv2.filter2D(wrapped, -1, _EVEN)[:, _PAD:-_PAD]
    odd = cv2.filter2D(wrapped, -1, _ODD)[:, _PAD:-_PAD]
    buffer = io.BytesIO()
    np.savez(buffer, code=np.stack([even > 0, odd > 0]), valid=valid)
    return buffer.getvalue()


def load_iris_template(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(code, valid) stored by ``iris_template`` (ValueError if the bytes are not one)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            code, valid = stored["code"], stored["valid"]
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"not an iris template: {exc}") from exc
    if code.shape != (2, RADIAL, ANGULAR) or valid.shape != (RADIAL, ANGULAR):
        raise ValueError("iris template has the wrong shape")
    return code.astype(bool), valid.astype(bool)


def hamming_distance(probe: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]) -> float:
    """The smallest fraction of disagreeing bits over shifts of up to ``MAX_SHIFT`` columns (1.0: none valid)."""
    code_a, valid_a = probe
    code_b, valid_b = reference
    best = 1.0
    for shift in range(-MAX_SHIFT, MAX_SHIFT + 1):
        shifted, shifted_valid = np.roll(code_b, shift, axis=2), np.roll(valid_b, shift, axis=1)
        both = valid_a & shifted_valid
        count = int(both.sum()) * 2
        if count < RADIAL * ANGULAR // 4:
            continue
        best = min(best, int(((code_a != shifted) & both).sum()) / count)
    return best


def compare_irises(probe: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]) -> float:
    """0-100 on a linear scale between ``HD_FLOOR`` (0) and ``HD_FULL`` (100)."""
    hd = hamming_distance(probe, reference)
    return float(np.clip((HD_FLOOR - hd) / (HD_FLOOR - HD_FULL), 0, 1) * 100)

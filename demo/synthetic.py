"""Synthetic biometric images the project generates itself (simulator, demo and tests).

Sizes follow real devices: fingers 500 ppi ~ 300x420, iris 640x480 (19794-6 typical), face 480x640
portrait. The face is a drawn, shaded face that OpenCV's frontal Haar cascade detects.
"""

from __future__ import annotations

import cv2
import numpy as np


def synthetic_finger(seed: int, *, width: int = 300, height: int = 420) -> np.ndarray:
    """A grayscale fingerprint-like image: warped concentric ridges inside an elliptical pad."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width * (0.45 + 0.1 * rng.random()), height * (0.45 + 0.1 * rng.random())
    warp = 6 * np.sin(x / (17 + 5 * rng.random())) + 6 * np.cos(y / (23 + 5 * rng.random()))
    r = np.sqrt(((x - cx) * 1.1) ** 2 + ((y - cy) * 0.8) ** 2) + warp
    ridges = 0.5 + 0.5 * np.sin(r * 2 * np.pi / 9.0)
    mask = (((x - width / 2) / (width * 0.45)) ** 2 + ((y - height / 2) / (height * 0.47)) ** 2) <= 1
    image = np.where(mask, 255 - ridges * 200, 255).astype(np.float32)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def synthetic_iris(seed: int, *, width: int = 640, height: int = 480) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width / 2, height / 2
    r = np.hypot(x - cx, y - cy)
    theta = np.arctan2(y - cy, x - cx)
    texture = 0.5 + 0.25 * np.sin(theta * (40 + seed % 7)) + 0.25 * np.sin(r / 3 + theta * 9)
    image = np.full((height, width), 200, np.float32)
    iris = (r < 120) & (r >= 45)
    image[iris] = 60 + 80 * texture[iris]
    image[r < 45] = 15
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def synthetic_face(
    *,
    width: int = 480,
    height: int = 640,
    face_scale: float = 1.0,
    offset: tuple[int, int] = (0, 0),
    eye_tilt: int = 0,
    background: tuple[int, int, int] = (235, 235, 235),
    seed: int = 0,
) -> np.ndarray:
    """A BGR portrait with one drawn face; parameters move/tilt it so checks can be made to fail."""
    image = np.full((height, width, 3), background, np.uint8)
    cx, cy = width // 2 + offset[0], int(height * 0.45) + offset[1]
    fw, fh = int(width * 0.2 * face_scale), int(width * 0.27 * face_scale)
    cv2.ellipse(
        image, (cx, cy + int(fh * 1.2)), (int(fw * 1.6), fh), 0, 180, 360, (90, 60, 50), -1
    )  # shoulders
    cv2.ellipse(
        image, (cx, cy - int(fh * 0.35)), (int(fw * 1.05), int(fh * 0.8)), 0, 180, 360, (40, 40, 60), -1
    )
    cv2.ellipse(image, (cx, cy), (fw, fh), 0, 0, 360, (150, 175, 215), -1)
    ex, ey = int(fw * 0.4), int(cy - fh * 0.18)
    for side, dy in ((-1, -eye_tilt), (1, eye_tilt)):
        centre = (cx + side * ex, ey + dy)
        cv2.ellipse(
            image,
            (centre[0], centre[1] - int(fh * 0.16)),
            (int(fw * 0.28), int(fh * 0.05)),
            0,
            0,
            360,
            (40, 50, 60),
            -1,
        )
        cv2.ellipse(image, centre, (int(fw * 0.2), int(fh * 0.08)), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(image, centre, int(fh * 0.07), (40, 30, 20), -1)
    nose = np.array(
        [
            [cx, cy - int(fh * 0.05)],
            [cx - int(fw * 0.15), cy + int(fh * 0.25)],
            [cx + int(fw * 0.15), cy + int(fh * 0.25)],
        ]
    )
    cv2.fillConvexPoly(image, nose, (120, 145, 185))
    cv2.ellipse(
        image, (cx, cy + int(fh * 0.5)), (int(fw * 0.38), int(fh * 0.09)), 0, 0, 360, (70, 70, 150), -1
    )
    image = cv2.GaussianBlur(image, (5, 5), 0)
    noise = np.random.default_rng(seed).normal(0, 2, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def synthetic_document(
    *,
    title: str = "PRE-REGISTRATION SLIP",
    lines: tuple[str, ...] = ("Name: ____________________", "Date of birth: ____-__-__"),
    code: str | None = None,
    width: int = 640,
    height: int = 480,
    seed: int = 0,
) -> np.ndarray:
    """A BGR document-camera view: a white page on a dark desk with a title, text lines and, when
    ``code`` is given, a QR code of it (OpenCV's encoder), with a little sensor noise like a real frame."""
    image = np.full((height, width, 3), (58, 52, 48), np.uint8)
    left, top, right, bottom = width // 12, height // 12, width - width // 12, height - height // 12
    cv2.rectangle(image, (left, top), (right, bottom), (246, 246, 242), -1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, title, (left + 20, top + 40), font, 0.8, (30, 30, 30), 2, cv2.LINE_AA)
    for i, line in enumerate(lines):
        y = top + 90 + 36 * i
        cv2.putText(image, line, (left + 20, y), font, 0.6, (50, 50, 50), 1, cv2.LINE_AA)
    if code is not None:
        modules = cv2.QRCodeEncoder.create().encode(code)  # includes its quiet zone
        side = min(right - left, bottom - top) // 2
        qr = cv2.resize(modules, (side, side), interpolation=cv2.INTER_NEAREST)
        x, y = right - side - 20, bottom - side - 20
        image[y : y + side, x : x + side] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
    noise = np.random.default_rng(seed).normal(0, 2, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)

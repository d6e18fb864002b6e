"""Synthetic biometric images the project generates itself (simulator, demo and tests).

Sizes follow real devices: fingers 500 ppi ~ 300x420, iris 640x480 (19794-6 typical), face 480x640
portrait. The face is a drawn, shaded face that OpenCV's frontal Haar cascade detects.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

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


# -- people: the same person's biometrics again, different people's different ones ---------------------
# A "person" seed fixes what is innate (ridge flow and minutiae of each finger, iris texture, face
# geometry); an "impression" seed varies what changes between captures (placement, rotation, pressure,
# noise). Impression 0 of a person is the enrolment capture; 1, 2, ... are re-captures.

_GABOR_ORIENTATIONS = 12


@lru_cache(maxsize=64)
def _master_ridges(person: int, finger: int, width: int, height: int) -> np.ndarray:
    """The finger's ridge pattern (-1..1): oriented Gabor filtering of seeded noise along a loop or whorl
    orientation field, which grows ridges with endings and bifurcations (as SFinGe-style generators do).
    Built at half size (ridges ~4.7 px apart) and enlarged, to stay near 0.2 s."""
    rng = np.random.default_rng([person, finger, 19794])
    w, h = width // 2, height // 2
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w * rng.uniform(0.38, 0.62), h * rng.uniform(0.35, 0.5)
    if rng.random() < 0.65:  # loop: one core above one delta
        cores, deltas = [(cx, cy)], [(cx + rng.uniform(-45, 45), cy + rng.uniform(55, 85))]
    else:  # whorl: two cores between two deltas
        cores, deltas = [(cx - 6, cy), (cx + 6, cy + 5)], [(cx - 55, cy + 75), (cx + 55, cy + 75)]
    theta = np.zeros_like(x)
    for px, py in cores:
        theta += 0.5 * np.arctan2(y - py, x - px)
    for px, py in deltas:
        theta -= 0.5 * np.arctan2(y - py, x - px)
    theta += 0.25 * np.sin(x / rng.uniform(20, 40) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(20, 40))
    period = rng.uniform(4.3, 5.2)
    n = _GABOR_ORIENTATIONS
    kernels = [cv2.getGaborKernel((9, 9), 1.7, np.pi * k / n, period, 1.0, 0) for k in range(n)]
    index = (np.round(((theta + np.pi / 2) % np.pi) / np.pi * n) % n).astype(np.int32)
    ridges = rng.normal(0, 1, (h, w)).astype(np.float32)
    for _ in range(6):
        grown = np.zeros_like(ridges)
        for k, kernel in enumerate(kernels):
            chosen = index == k
            grown[chosen] = cv2.filter2D(ridges, -1, kernel)[chosen]
        ridges = np.tanh(grown / (grown.std() + 1e-6) * 2)
    return cv2.resize(ridges, (width, height), interpolation=cv2.INTER_CUBIC)


def _impression(rng: np.random.Generator, size: tuple[int, int], *, angle: float, shift: float) -> np.ndarray:
    """A 2x3 affine placing one capture: a small rotation (degrees) and shift (pixels) about the centre."""
    width, height = size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-angle, angle), 1.0)
    matrix[:, 2] += rng.uniform(-shift, shift, 2)
    return matrix


def person_finger(
    person: int, finger: int, *, impression: int = 0, width: int = 300, height: int = 420
) -> np.ndarray:
    """A grayscale fingerprint of ``person``'s finger ``finger`` (ISO position code 1-10). Every impression
    shows the same ridges and minutiae; impressions other than 0 are rotated (up to 8°), shifted (up to
    10 px), pressed harder or lighter, and noisy, like a re-capture on a scanner."""
    ridges = _master_ridges(person, finger, width, height)
    rng = np.random.default_rng([person, finger, impression, 4])
    if impression:
        matrix = _impression(rng, (width, height), angle=8, shift=10)
        ridges = cv2.warpAffine(ridges, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pad = (((x - width / 2) / (width * 0.45)) ** 2 + ((y - height / 2) / (height * 0.47)) ** 2) <= 1
    ink = 100 * rng.uniform(0.85, 1.1) if impression else 100
    image = np.where(pad, 128 - ridges * ink, 255) + rng.normal(0, 6, ridges.shape)
    image = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0)
    return np.clip(image, 0, 255).astype(np.uint8)


def person_iris(
    person: int, side: str, *, impression: int = 0, width: int = 640, height: int = 480
) -> np.ndarray:
    """A grayscale eye of ``person`` (``side`` "Left" or "Right"): a seeded radial/angular texture in the
    iris ring. Re-captures move the eye (up to 12 px), turn it (up to 6°), change the pupil a little
    and add noise."""
    tex_rng = np.random.default_rng([person, zlib.crc32(side.encode()), 196])
    # texture in polar coordinates (rows: angle, columns: radius), smoothed noise -> crypts and furrows
    polar = cv2.GaussianBlur(
        tex_rng.normal(0, 1, (360, 80)).astype(np.float32), (0, 0), sigmaX=2.5, sigmaY=1.2
    )
    polar = 0.5 + polar / (4 * polar.std() + 1e-6)
    rng = np.random.default_rng([person, zlib.crc32(side.encode()), impression, 6])
    cx, cy = width / 2, height / 2
    turn, pupil = 0.0, 45.0
    if impression:
        cx, cy = cx + rng.uniform(-12, 12), cy + rng.uniform(-12, 12)
        turn, pupil = rng.uniform(-6, 6), 45 + rng.uniform(-3, 3)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.hypot(x - cx, y - cy)
    theta = (np.degrees(np.arctan2(y - cy, x - cx)) - turn) % 360
    iris = (r >= pupil) & (r < 120)
    # the ring is sampled between pupil and limbus, so a dilated pupil stretches the same texture
    u = np.clip((r - pupil) / (120 - pupil) * 79, 0, 79)
    texture = cv2.remap(
        polar, u.astype(np.float32), theta.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP
    )
    image = np.full((height, width), 200, np.float32)
    image[iris] = 50 + 110 * np.clip(texture[iris], 0, 1)
    image[r < pupil] = 15
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def person_face(person: int, *, impression: int = 0, width: int = 480, height: int = 640) -> np.ndarray:
    """A BGR portrait of ``person``: face size, skin tone, skin texture and moles are the person's;
    re-captures shift the head a little (up to 12 px) and add sensor noise."""
    rng = np.random.default_rng([person, 195])
    capture = np.random.default_rng([person, impression, 5])
    offset = (int(capture.integers(-12, 13)), int(capture.integers(-10, 11))) if impression else (0, 0)
    image = synthetic_face(
        width=width,
        height=height,
        face_scale=float(rng.uniform(0.9, 1.1)),
        offset=offset,
        seed=int(capture.integers(0, 2**31)),
    )
    # the person's marks: skin tone, skin texture and a few moles on the cheeks and chin (below the
    # eyes, which the kiosk's face checks look for)
    cx, cy = width // 2 + offset[0], int(height * 0.45) + offset[1]
    fw, fh = int(width * 0.2), int(width * 0.27)
    tone = rng.uniform(-35, 35, 3)
    # skin texture (pores, freckles): seeded per person and carried with the head as it moves
    skin = cv2.GaussianBlur(rng.normal(0, 1, (2 * fh, 2 * fw)).astype(np.float32), (0, 0), 1.5)
    texture = np.zeros((height, width), np.float32)
    top, left = max(cy - fh, 0), max(cx - fw, 0)
    part = skin[: height - top, : width - left]
    texture[top : top + part.shape[0], left : left + part.shape[1]] = part * (8 / (skin.std() + 1e-6))
    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(mask, (cx, cy), (fw, fh), 0, 0, 360, 255, -1)
    skinned = np.clip(image + tone + texture[..., None], 0, 255)
    image = np.where(mask[..., None] > 0, skinned, image).astype(np.uint8)
    for _ in range(int(rng.integers(4, 9))):
        px, py = cx + int(rng.uniform(-0.7, 0.7) * fw), cy + int(rng.uniform(0.3, 0.8) * fh)
        cv2.circle(image, (px, py), int(rng.integers(2, 6)), (60, 50, 45), -1)
    return image

"""ICAO-lite face checks on one BGR frame, each failure as a stable code from ``CHECK_CODES``.

The kiosk words each code for the officer in their language (``face_check.<code>`` in client/ui/strings);
this layer stays free of UI text.

Checks: exactly one face (OpenCV's frontal Haar cascade from cv2.data), face size and centring, eyes
level (Haar eye cascade inside the face), sharpness (variance of the Laplacian on the face), exposure
and clipping (face brightness, share of black/white pixels) and a plain background (spread of the
pixels around the head). Thresholds live in one dataclass so deployments can tune them.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class FaceCheckThresholds:
    min_face_ratio: float = 0.25  # face width / image width
    max_face_ratio: float = 0.75
    max_centre_offset: float = 0.12  # horizontal offset of the face centre, share of image width
    max_eye_tilt_deg: float = 6.0
    min_sharpness: float = 40.0  # variance of the Laplacian on the face region
    min_brightness: float = 70.0
    max_brightness: float = 210.0
    max_clipped_share: float = 0.05
    max_background_std: float = 22.0


CHECK_CODES = (
    "no_face",
    "many_faces",
    "face_too_small",
    "face_too_large",
    "not_centred",
    "eyes_not_level",
    "blurred",
    "too_dark",
    "too_bright",
    "clipped",
    "busy_background",
)


@dataclass(frozen=True)
class CheckFailure:
    """One failed check; ``code`` is one of ``CHECK_CODES`` (the officer's words live in the UI)."""

    code: str


@dataclass
class FaceCheckReport:
    failures: list[CheckFailure] = field(default_factory=list)
    face_box: tuple[int, int, int, int] | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def quality(self) -> int:
        """A 0-100 score: 100 minus 15 per failed check, floored at 0."""
        return max(0, 100 - 15 * len(self.failures))


_local = threading.local()  # CascadeClassifier is not thread-safe: one per thread


def _cascades() -> tuple[cv2.CascadeClassifier, cv2.CascadeClassifier]:
    if not hasattr(_local, "face"):
        _local.face = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        _local.eye = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    return _local.face, _local.eye


def check_face(image: np.ndarray, thresholds: FaceCheckThresholds | None = None) -> FaceCheckReport:
    t = thresholds or FaceCheckThresholds()
    report = FaceCheckReport()
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    _height, width = gray.shape
    face_cascade, eye_cascade = _cascades()
    # Detect on a half-size copy: 4x fewer pixels keeps preview checks well above 10 per second.
    scale = 0.5 if width >= 480 else 1.0
    small = cv2.resize(gray, None, fx=scale, fy=scale) if scale != 1.0 else gray
    faces = face_cascade.detectMultiScale(small, 1.1, 5, minSize=(int(40 * scale * 2), int(40 * scale * 2)))
    if len(faces) == 0:
        report.failures.append(CheckFailure("no_face"))
        return report
    if len(faces) > 1:
        report.failures.append(CheckFailure("many_faces"))
        return report
    x, y, w, h = (int(v / scale) for v in faces[0])
    report.face_box = (x, y, w, h)
    ratio = w / width
    report.metrics["face_ratio"] = ratio
    if ratio < t.min_face_ratio:
        report.failures.append(CheckFailure("face_too_small"))
    elif ratio > t.max_face_ratio:
        report.failures.append(CheckFailure("face_too_large"))
    offset = abs((x + w / 2) - width / 2) / width
    report.metrics["centre_offset"] = offset
    if offset > t.max_centre_offset:
        report.failures.append(CheckFailure("not_centred"))
    face = gray[y : y + h, x : x + w]
    tilt = _eye_tilt_deg(face, eye_cascade)
    report.metrics["eye_tilt_deg"] = tilt
    if tilt > t.max_eye_tilt_deg:
        report.failures.append(CheckFailure("eyes_not_level"))
    sharpness = float(cv2.Laplacian(face, cv2.CV_64F).var())
    report.metrics["sharpness"] = sharpness
    if sharpness < t.min_sharpness:
        report.failures.append(CheckFailure("blurred"))
    brightness = float(face.mean())
    clipped = float(((face <= 5) | (face >= 250)).mean())
    report.metrics["brightness"], report.metrics["clipped_share"] = brightness, clipped
    if brightness < t.min_brightness:
        report.failures.append(CheckFailure("too_dark"))
    elif brightness > t.max_brightness:
        report.failures.append(CheckFailure("too_bright"))
    if clipped > t.max_clipped_share:
        report.failures.append(CheckFailure("clipped"))
    background = _background_strips(gray, (x, y, w, h))
    spread = float(background.std()) if background.size else 0.0
    report.metrics["background_std"] = spread
    if spread > t.max_background_std:
        report.failures.append(CheckFailure("busy_background"))
    return report


def _eye_tilt_deg(face: np.ndarray, eye_cascade: cv2.CascadeClassifier) -> float:
    """Angle of the line between the eyes. The Haar eye cascade is tried on a normalised, smoothed face;
    when it does not find two eyes, the darkest point (pupil) of each upper-face half is used instead."""
    norm = cv2.resize(face, (240, 240))
    band = cv2.GaussianBlur(norm[:120], (0, 0), 3.0)
    eyes = eye_cascade.detectMultiScale(band, 1.1, 4, minSize=(20, 20))
    if len(eyes) >= 2:
        biggest = sorted(eyes, key=lambda e: e[2] * e[3], reverse=True)[:2]
        (ax, ay, aw, ah), (bx, by, bw, bh) = sorted(biggest, key=lambda e: e[0])
        centres = ((ax + aw / 2, ay + ah / 2), (bx + bw / 2, by + bh / 2))
    else:
        band = cv2.GaussianBlur(norm[48:132], (0, 0), 4.0)  # eye band: ~20-55 % of the face height
        left = cv2.minMaxLoc(band[:, 24:120])[2]
        right = cv2.minMaxLoc(band[:, 120:216])[2]
        centres = ((left[0] + 24, left[1]), (right[0] + 120, right[1]))
    (ax, ay), (bx, by) = centres
    return abs(math.degrees(math.atan2(by - ay, bx - ax))) if bx != ax else 90.0


def _background_strips(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels beside and above the head (shoulders and hair excluded) that should be plain backdrop."""
    x, y, w, h = box
    top = max(0, y - h // 2)
    bottom = y + h // 2
    left = gray[top:bottom, : max(0, x - w // 4)]
    right = gray[top:bottom, min(gray.shape[1], x + w + w // 4) :]
    return np.concatenate([left.ravel(), right.ravel()])

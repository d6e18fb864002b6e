"""ICAO-lite face checks on generated faces (drawn faces the Haar cascade detects): pass and fail each."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from client.ui.strings.eng import STRINGS as OFFICER_WORDS
from demo.synthetic import synthetic_face
from device_drivers.camera.face_checks import check_face


def busy_background() -> np.ndarray:
    image = synthetic_face()
    for row in range(0, image.shape[0], 40):
        image[row : row + 20, :60] = 30
        image[row : row + 20, -60:] = 30
    return image


@pytest.mark.parametrize(
    "image",
    [
        synthetic_face(),
        synthetic_face(width=640, height=480),
        synthetic_face(seed=5),
        synthetic_face(face_scale=0.7),
    ],
)
def test_good_portraits_pass_every_check(image: np.ndarray) -> None:
    report = check_face(image)
    assert report.passed, [f.code for f in report.failures]
    assert report.quality == 100 and report.face_box is not None


@pytest.mark.parametrize(
    ("image", "code", "words"),
    [
        (np.full((640, 480, 3), 230, np.uint8), "no_face", "No face"),
        (np.hstack([synthetic_face(), synthetic_face(seed=2)]), "many_faces", "More than one face"),
        (synthetic_face(face_scale=0.45), "face_too_small", "come closer"),
        (synthetic_face(face_scale=1.5), "face_too_large", "step back"),
        (synthetic_face(offset=(110, 0)), "not_centred", "middle"),
        (synthetic_face(eye_tilt=12), "eyes_not_level", "tilted"),
        (cv2.GaussianBlur(synthetic_face(), (0, 0), 4), "blurred", "blurred"),
        ((synthetic_face() * 0.25).astype(np.uint8), "too_dark", "too dark"),
        (np.clip(synthetic_face().astype(int) + 120, 0, 255).astype(np.uint8), "too_bright", "too bright"),
        (
            np.clip(synthetic_face().astype(int) + 120, 0, 255).astype(np.uint8),
            "clipped",
            "pure black or white",
        ),
        (busy_background(), "busy_background", "plain backdrop"),
    ],
)
def test_each_check_fails_with_an_officer_message(image: np.ndarray, code: str, words: str) -> None:
    report = check_face(image)
    failure = next((f for f in report.failures if f.code == code), None)
    assert failure is not None, [f.code for f in report.failures]
    assert words in OFFICER_WORDS[f"face_check.{failure.code}"]  # what the kiosk shows for the code
    assert report.quality < 100

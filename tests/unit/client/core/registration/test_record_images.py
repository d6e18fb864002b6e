"""Captured records become displayable thumbnails: strict ISO 19794 records with JPEG 2000 images (what SBI
devices send, which Qt cannot decode) as well as the demo's ISO-style samples."""

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from client.core.registration.biometrics import BiometricCapture
from client.core.registration.record_images import thumbnail
from demo.samples import capture_group
from device_drivers.iso import FingerImage, write_finger_record
from device_drivers.iso.images import encode_image


def _png_size(data: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return image.shape[1], image.shape[0]


def test_jpeg2000_finger_record_gives_a_png_of_the_asked_finger():
    left, right = (np.full((400, 300), shade, np.uint8) for shade in (40, 200))
    record = write_finger_record(
        [
            FingerImage(
                position=position,
                image=encode_image(image, "jp2"),
                width=300,
                height=400,
                captured_at=datetime.now(UTC),
            )
            for position, image in ((7, left), (2, right))
        ]
    )
    capture = BiometricCapture("finger", "Right IndexFinger", 80, record, "jp2")
    data = thumbnail(capture, side=120)
    assert data is not None and data.startswith(b"\x89PNG")
    assert _png_size(data) == (90, 120)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).mean() == pytest.approx(
        200, abs=2
    )


@pytest.mark.parametrize("group", ["left_slap", "irises", "face"])
def test_demo_samples_give_thumbnails(group):
    assert all((thumbnail(c) or b"").startswith(b"\x89PNG") for c in capture_group(group, seed=3))


def test_a_record_without_an_image_gives_none():
    assert thumbnail(BiometricCapture("finger", "Left Thumb", 80, b"FIR\x00garbage")) is None

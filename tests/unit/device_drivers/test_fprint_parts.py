"""The libfprint adapter's parts that need no reader: the pipe's frames, the image checks, the quality
estimate and the words of each failure (device_drivers/fprint)."""

from __future__ import annotations

import io
import struct

import cv2
import numpy as np
import pytest

from demo.synthetic import person_finger
from device_drivers.base import CaptureFailedError, DeviceDisconnectedError, DeviceTimeoutError
from device_drivers.fprint.adapter import listed_devices, pixels_of, ppi_of
from device_drivers.fprint.errors import FingerRetryError, NoImageError, error_from_host
from device_drivers.fprint.quality import finger_quality
from device_drivers.fprint.wire import MAX_HEADER, WireClosed, WireError, encode_frame, read_frame


def test_a_frame_goes_through_whole_and_a_clean_end_is_told_apart():
    stream = io.BytesIO(encode_frame({"id": 1, "op": "list"}) + encode_frame({"id": 2}, b"\x01\x02"))
    assert read_frame(stream) == ({"id": 1, "op": "list"}, b"")
    assert read_frame(stream) == ({"id": 2}, b"\x01\x02")
    with pytest.raises(WireClosed):
        read_frame(stream)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (struct.pack(">II", MAX_HEADER + 1, 0), "over the limits"),
        (struct.pack(">II", 2, 2**30), "over the limits"),
        (encode_frame({"id": 1}, b"abcdef")[:-3], "closed in the middle of a frame"),
        (struct.pack(">II", 3, 0) + b"[1]", "not a JSON object"),
        (struct.pack(">II", 2, 0) + b"{x", "not JSON"),
        (b"\x00\x00", "closed in the middle"),
    ],
)
def test_a_bad_frame_is_refused_with_a_clear_error(data, words):
    with pytest.raises(WireError, match=words):
        read_frame(io.BytesIO(data))


def test_an_image_must_add_up_to_its_size():
    assert pixels_of({"width": 8, "height": 10}, bytes(80)).shape == (10, 8)
    with pytest.raises(CaptureFailedError, match="79 bytes for a 8 x 10 image"):
        pixels_of({"width": 8, "height": 10}, bytes(79))
    for width, height in ((0, 10), (8, 5000), ("8", 10), (None, None)):
        with pytest.raises(CaptureFailedError, match="unusable size"):
            pixels_of({"width": width, "height": height}, b"")


def test_resolution_comes_from_the_reader_or_is_left_to_the_default():
    assert ppi_of(19.685) == 500 and ppi_of(39.37) == 1000
    assert (
        ppi_of(0.0) is None and ppi_of(float("nan")) is None and ppi_of("20") is None and ppi_of(500) is None
    )


def test_the_quality_estimate_ranks_clear_smudged_noisy_and_empty_prints():
    rng = np.random.default_rng(3)
    finger = person_finger(2, 7)
    noisy = np.clip(finger + rng.normal(0, 60, finger.shape), 0, 255).astype(np.uint8)
    smudged = cv2.GaussianBlur(finger, (0, 0), 4)
    partial = finger.copy()
    partial[:, 90:] = 255  # a finger touching the reader's edge only
    blank = np.full_like(finger, 255)
    noise = rng.integers(0, 256, finger.shape).astype(np.uint8)
    scores = [finger_quality(image) for image in (finger, partial, smudged, noisy, noise, blank)]
    assert scores[0] >= 90 and scores[-1] == 0 and scores[-2] <= 10
    assert scores[0] > scores[1] > 0 and scores[0] > scores[2] and scores[0] > scores[3]
    assert finger_quality(np.zeros((10, 10), np.uint8)) == 0  # smaller than two blocks


@pytest.mark.parametrize(
    ("kind", "error_type", "code", "words"),
    [
        ("finger_not_centred", FingerRetryError, "finger_not_centred", "not centred"),
        ("swipe_too_short", FingerRetryError, "swipe_too_short", "too short"),
        (
            "removed",
            DeviceDisconnectedError,
            "disconnected",
            "unplugged during the capture; nothing was kept",
        ),
        ("no_image", NoImageError, "no_image", "gives no image"),
        ("timeout", DeviceTimeoutError, "timeout", "No finger was placed"),
        ("something new", CaptureFailedError, "failed", "failed: driver said no"),
    ],
)
def test_each_failure_is_a_typed_error_with_a_code_for_the_screen(kind, error_type, code, words):
    error = error_from_host({"kind": kind, "message": "driver said no"}, reader="R1")
    assert type(error) is error_type and error.device_error == code and words in str(error)


def test_a_malformed_listing_from_the_host_is_refused_or_filtered():
    assert listed_devices({"ok": True, "devices": [{"key": "a:0"}, 3, {"key": 5}, {"name": "x"}]}) == [
        {"key": "a:0"}
    ]
    assert len(listed_devices({"ok": True, "devices": [{"key": f"r:{i}"} for i in range(100)]})) == 32
    for header in ({"ok": True, "devices": "a:0"}, {"ok": True}, {"ok": False, "devices": []}):
        with pytest.raises(CaptureFailedError, match="could not list the readers"):
            listed_devices(header)

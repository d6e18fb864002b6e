"""The images inside ISO records: WSQ through the wsq package in a child process (a damaged WSQ image can
crash NBIS, never the caller), raw pixels, size limits, and typed errors for what is not decoded."""

from __future__ import annotations

import contextlib
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.synthetic import synthetic_finger
from device_drivers.iso import IsoRecordError, UnsupportedImageError, wsq_codec
from device_drivers.iso.images import MAX_IMAGE_PIXELS, decode_image, encode_image


@pytest.fixture(scope="module")
def finger_wsq() -> tuple[np.ndarray, bytes]:
    image = synthetic_finger(1)
    return image, encode_image(image, "wsq")


def test_wsq_round_trip_keeps_size_and_ridges(finger_wsq: tuple[np.ndarray, bytes]) -> None:
    image, wsq = finger_wsq
    assert wsq.startswith(b"\xff\xa0") and len(wsq) < image.size // 4  # lossy, about 15:1
    decoded = decode_image(wsq, grayscale=True)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - image).mean() < 12


def test_damaged_wsq_images_give_typed_errors_and_the_caller_survives(
    finger_wsq: tuple[np.ndarray, bytes],
) -> None:
    _, wsq = finger_wsq
    # Byte changes that crashed NBIS when it ran in-process here (a segmentation fault; glibc's abort on a
    # corrupted heap): in the child process they cost the caller an IsoRecordError and nothing more.
    crashing = []
    for changes in (
        ((5773, 22), (962, 214), (4618, 242)),
        ((606, 30), (2376, 161), (597, 164), (1841, 190), (23, 127)),
    ):
        damaged_copy = bytearray(wsq)
        for index, value in changes:
            damaged_copy[index % len(wsq)] = value
        crashing.append(bytes(damaged_copy))
    damaged = [*crashing, wsq[:200], wsq[: len(wsq) // 2], wsq[:2] + b"\xff\xa9" + wsq[4:]]
    for payload in damaged:
        try:
            decoded = decode_image(payload)
        except IsoRecordError as exc:
            assert "WSQ" in str(exc)
        else:
            assert decoded.ndim == 2
    with pytest.raises(IsoRecordError, match="WSQ image cannot be decoded"):
        decode_image(wsq[:200])


def test_without_the_wsq_package_wsq_is_unsupported(
    finger_wsq: tuple[np.ndarray, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wsq_codec, "wsq_available", lambda: False)
    with pytest.raises(UnsupportedImageError, match="'wsq' package is not installed"):
        decode_image(finger_wsq[1])
    with pytest.raises(UnsupportedImageError):
        encode_image(np.zeros((8, 8), np.uint8), "wsq")


def test_raw_images_need_the_exact_byte_count() -> None:
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(decode_image(pixels.tobytes(), image_format="raw", width=4, height=3), pixels)
    with pytest.raises(IsoRecordError, match="has 11 bytes; 4x3 at depth 8 needs 12"):
        decode_image(pixels.tobytes()[:11], image_format="raw", width=4, height=3)
    with pytest.raises(IsoRecordError, match="width and height"):
        decode_image(pixels.tobytes(), image_format="raw")
    with pytest.raises(UnsupportedImageError, match="bit-packed"):
        decode_image(b"\x00" * 2, image_format="raw-packed", width=4, height=4, bit_depth=1)
    with pytest.raises(IsoRecordError, match="depth 24"):
        decode_image(b"\x00" * 36, image_format="raw", width=4, height=3, bit_depth=24)
    with pytest.raises(IsoRecordError, match="over the"):
        decode_image(b"", image_format="raw", width=65535, height=65535)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels and whose data is one empty block."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding() -> None:
    assert MAX_IMAGE_PIXELS < 60_000 * 60_000
    with pytest.raises(IsoRecordError, match="too large|over the"):
        decode_image(_png_header(60_000, 60_000))


def test_garbage_and_jpeg_ls_give_typed_errors() -> None:
    with pytest.raises(IsoRecordError, match="cannot be decoded"):
        decode_image(b"not an image at all")
    with pytest.raises(UnsupportedImageError, match="JPEG-LS"):
        decode_image(b"\xff\xd8\xff\xf7", image_format="jpeg-ls")


@settings(max_examples=200, deadline=None)
@given(
    start=st.sampled_from(
        [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"]
    ),
    rest=st.binary(max_size=200),
)
def test_damaged_encoded_images_give_only_typed_errors(start: bytes, rest: bytes) -> None:
    with contextlib.suppress(IsoRecordError):
        decode_image(start + rest)

"""OpenCV camera adapter with injected frame sources (image folder, video file)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from client.ui.strings.eng import STRINGS as OFFICER_WORDS
from demo.synthetic import synthetic_face
from device_drivers.base import DeviceNotFoundError, DeviceStatus, Modality
from device_drivers.camera.adapter import FaceCheckError, OpenCvCamera
from device_drivers.camera.frame_source import open_frame_source
from device_drivers.iso import read_iso_record
from device_drivers.iso.images import decode_image


def write_frames(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir()
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03}.png"), frame)
    return folder


def test_face_capture_skips_bad_frames_and_returns_an_iso_face_record(tmp_path: Path) -> None:
    blurred = cv2.GaussianBlur(synthetic_face(), (0, 0), 4)
    good = synthetic_face(width=640, height=480)
    folder = write_frames(tmp_path / "frames", [blurred, good])
    camera = OpenCvCamera(source_factory=lambda: open_frame_source(folder), image_format="png")
    assert camera.info().status is DeviceStatus.READY
    [result] = camera.capture(attempts=3)
    assert result.modality is Modality.FACE and result.quality == 100 and result.image_format == "png"
    [face] = read_iso_record(result.iso_record)
    assert np.array_equal(decode_image(face.image), good)
    assert "not an SBI certified device" in result.identity.certification


def test_face_capture_gives_all_failure_messages(tmp_path: Path) -> None:
    folder = write_frames(tmp_path / "frames", [synthetic_face(offset=(110, 0))])
    camera = OpenCvCamera(source_factory=lambda: open_frame_source(folder))
    with pytest.raises(FaceCheckError) as caught:
        camera.capture(attempts=2)
    assert [f.code for f in caught.value.report.failures] == ["not_centred"]
    shown = " ".join(OFFICER_WORDS[f"face_check.{f.code}"] for f in caught.value.report.failures)
    assert "middle of the frame" in shown


def test_video_file_source_streams_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 480))
    for i in range(5):
        writer.write(synthetic_face(width=640, height=480, seed=i))
    writer.release()
    camera = OpenCvCamera(source_factory=lambda: open_frame_source(str(path)), modality=Modality.DOCUMENT)
    frames = []
    for frame in camera.stream(timeout_s=5):
        frames.append(frame.image)
        if len(frames) == 8:  # more than the clip holds: the source loops
            break
    assert all(f.shape == (480, 640, 3) for f in frames)
    document = camera.capture_document()
    assert document.image_format == "jpeg" and document.iso_record.startswith(b"\xff\xd8")
    camera.close()


def test_stream_gives_jpeg_for_display_paced_and_a_preview_frame_becomes_the_document(tmp_path: Path) -> None:
    import time

    folder = write_frames(tmp_path / "frames", [synthetic_face(seed=i) for i in range(3)])
    camera = OpenCvCamera(source_factory=lambda: open_frame_source(folder), modality=Modality.DOCUMENT)
    started = time.monotonic()
    frames = [f for f, _ in zip(camera.stream(max_fps=50), range(6), strict=False)]
    assert time.monotonic() - started >= 0.08  # paced: an image folder is not read as fast as the CPU can
    assert all(decode_image(f.jpeg).shape == f.image.shape for f in frames)
    document = camera.document_from_frame(frames[-1].image)
    assert document.modality is Modality.DOCUMENT and document.image_format == "jpeg"
    assert np.abs(decode_image(document.iso_record).astype(int) - frames[-1].image.astype(int)).mean() < 3
    camera.close()


def test_missing_sources_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DeviceNotFoundError, match="No camera"):
        open_frame_source(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeviceNotFoundError, match="no readable images"):
        open_frame_source(tmp_path / "empty")

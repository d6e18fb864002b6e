"""Injectable frame sources for the OpenCV camera: a webcam index, a video file or a folder of images.

Tests and the demo replay recorded frames through exactly the same camera adapter as a real webcam.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from device_drivers.base import DeviceDisconnectedError, DeviceNotFoundError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


class FrameSource(Protocol):
    """Gives BGR frames; ``read`` raises DeviceDisconnectedError when the source is gone."""

    name: str

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...


class CaptureSource:
    """cv2.VideoCapture over a webcam index or a video file (files loop so previews never run dry)."""

    def __init__(self, target: int | str, *, width: int = 640, height: int = 480) -> None:
        self.name = f"camera {target}" if isinstance(target, int) else Path(target).name
        self._target = target
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            raise DeviceNotFoundError(
                f"The camera ({self.name}) cannot be opened. Check that it is plugged in."
            )
        if isinstance(target, int):
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read(self) -> np.ndarray:
        ok, frame = self._capture.read()
        if not ok and isinstance(self._target, str):
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            raise DeviceDisconnectedError(f"The camera ({self.name}) stopped sending pictures.")
        return frame

    def close(self) -> None:
        self._capture.release()


class FolderSource:
    """Images of a folder in name order, looping; decoded once up front."""

    def __init__(self, folder: Path) -> None:
        self.name = folder.name
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self._frames = [f for f in (cv2.imread(str(p), cv2.IMREAD_COLOR) for p in paths) if f is not None]
        if not self._frames:
            raise DeviceNotFoundError(f"The image folder {folder} holds no readable images.")
        self._index = 0

    def read(self) -> np.ndarray:
        frame = self._frames[self._index % len(self._frames)]
        self._index += 1
        return frame

    def close(self) -> None:
        self._frames = []


def open_frame_source(target: int | str | Path) -> FrameSource:
    """Webcam index (int or digits), video file, or folder of images."""
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return CaptureSource(int(target))
    path = Path(target)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        return CaptureSource(str(path))
    raise DeviceNotFoundError(f"No camera, video file or image folder at {target}.")

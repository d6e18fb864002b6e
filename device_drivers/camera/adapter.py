"""OpenCV camera adapter for face (ICAO-lite checked, returned as an ISO 19794-5 record) and documents.

Frames come from an injectable FrameSource. Methods block on the source; the DeviceManager runs them
on this device's thread. Reads are serialised by a lock, because a live preview may stream on one thread
while a capture is asked for on another. The camera is not an SBI-certified device, so its identity says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import cv2

from device_drivers.base import (
    CaptureFailedError,
    CaptureResult,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    Modality,
    PreviewFrame,
)
from device_drivers.camera.face_checks import FaceCheckReport, FaceCheckThresholds, check_face
from device_drivers.camera.frame_source import FrameSource
from device_drivers.iso import FaceImage, QualityBlock, write_face_record
from device_drivers.iso.images import encode_image


class FaceCheckError(CaptureFailedError):
    """The photo failed ICAO-lite checks; ``report.failures`` has one check code per problem."""

    def __init__(self, report: FaceCheckReport) -> None:
        super().__init__("face checks failed: " + ", ".join(f.code for f in report.failures))
        self.report = report


class OpenCvCamera:
    """A webcam/document camera. ``modality`` is FACE or DOCUMENT."""

    def __init__(
        self,
        *,
        source_factory: Callable[[], FrameSource],
        modality: Modality = Modality.FACE,
        key: str = "camera:0",
        thresholds: FaceCheckThresholds | None = None,
        image_format: str = "jp2",
    ) -> None:
        self.modality = modality
        self.key = key
        self._factory = source_factory
        self._source: FrameSource | None = None
        self._thresholds = thresholds or FaceCheckThresholds()
        self._image_format = image_format
        self._lock = threading.Lock()

    def _frame(self):
        with self._lock:
            if self._source is None:
                self._source = self._factory()
            return self._source.read()

    @property
    def identity(self) -> DeviceIdentity:
        name = self._source.name if self._source else self.key
        return DeviceIdentity(
            make="Generic",
            model=f"OpenCV camera ({name})",
            serial=self.key,
            certification="none (not an SBI certified device)",
            device_id=self.key,
        )

    def info(self) -> DeviceInfo:
        self._frame()  # opening and reading proves the camera answers
        return DeviceInfo(
            key=self.key, modality=self.modality, identity=self.identity, status=DeviceStatus.READY
        )

    def stream(
        self, *, sub_id: int = 0, timeout_s: float = 30.0, max_fps: float = 30.0
    ) -> Iterator[PreviewFrame]:
        """Preview frames as both the BGR array (for checks and barcode decoding) and a JPEG (for display).

        Paced to ``max_fps``: a webcam blocks at its own rate anyway, but a video file or image folder
        would otherwise be read as fast as the CPU allows."""
        deadline = time.monotonic() + timeout_s
        interval = 1.0 / max_fps if max_fps > 0 else 0.0
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_at = max(next_at + interval, time.monotonic() - interval)
            image = self._frame()
            yield PreviewFrame(jpeg=encode_image(image, "jpeg"), image=image, timestamp=time.monotonic())

    def check(self, image) -> FaceCheckReport:
        return check_face(image, self._thresholds)

    def capture(
        self,
        *,
        bio_subtypes: list[str] | None = None,
        exceptions: list[str] | None = None,
        requested_score: int = 0,
        timeout_s: float = 10.0,
        attempts: int = 10,
    ) -> list[CaptureResult]:
        """Take the first frame (of ``attempts``) passing the face checks; else raise FaceCheckError."""
        started = time.monotonic()
        report, image = FaceCheckReport(), None
        for _ in range(attempts):
            image = self._frame()
            report = self.check(image)
            if report.passed or time.monotonic() - started > timeout_s:
                break
        if not report.passed:
            raise FaceCheckError(report)
        height, width = image.shape[:2]
        now = datetime.now(UTC)
        record = write_face_record(
            [
                FaceImage(
                    encode_image(image, self._image_format),
                    width,
                    height,
                    self._image_format,
                    (QualityBlock(report.quality),),
                    now,
                )
            ]
        )
        return [
            CaptureResult(
                modality=Modality.FACE,
                bio_subtype="",
                iso_record=record,
                image_format=self._image_format,
                quality=report.quality,
                identity=self.identity,
                captured_at=now.isoformat(),
                duration_s=time.monotonic() - started,
                extra={"face_checks": "passed", **{k: f"{v:.2f}" for k, v in report.metrics.items()}},
            )
        ]

    def capture_document(self) -> CaptureResult:
        """A document page as JPEG (documents are not ISO records); quality from sharpness."""
        return self.document_from_frame(self._frame())

    def document_from_frame(self, image) -> CaptureResult:
        """The document image from a frame the officer already saw in the live preview (what you see is
        what is stored), encoded as JPEG with a sharpness-based quality."""
        started = time.monotonic()
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        quality = int(min(100, cv2.Laplacian(gray, cv2.CV_64F).var() / 5))
        return CaptureResult(
            modality=Modality.DOCUMENT,
            bio_subtype="",
            iso_record=encode_image(image, "jpeg"),
            image_format="jpeg",
            quality=quality,
            identity=self.identity,
            captured_at=datetime.now(UTC).isoformat(),
            duration_s=time.monotonic() - started,
        )

    def close(self) -> None:
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None

"""What an ISO/IEC 19794-4/-5/-6 record holds once read, whichever edition (2005 or 2011) it came in.

The readers of both editions return these types, so callers need not know the edition; ``edition`` says
which one a value was read from. The writers write the 2011 edition only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from device_drivers.iso.common import QualityBlock

FINGER_POSITIONS = {
    0: "Unknown",
    1: "Right Thumb",
    2: "Right IndexFinger",
    3: "Right MiddleFinger",
    4: "Right RingFinger",
    5: "Right LittleFinger",
    6: "Left Thumb",
    7: "Left IndexFinger",
    8: "Left MiddleFinger",
    9: "Left RingFinger",
    10: "Left LittleFinger",
    13: "Right Slap",
    14: "Left Slap",
    15: "Two Thumbs",
}
POSITION_CODES = {name: code for code, name in FINGER_POSITIONS.items()}

EYE_LABELS = {0: "Unknown", 1: "Right", 2: "Left"}
EYE_CODES = {"Right": 1, "Left": 2, "Unknown": 0}


@dataclass(frozen=True)
class FingerImage:
    """One finger view. ``compression`` is raw, raw-packed, wsq, jpeg, jp2-lossy, jp2 or png."""

    position: int
    image: bytes
    width: int
    height: int
    compression: str = "jp2"
    quality: tuple[QualityBlock, ...] = ()
    captured_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    resolution_ppi: int = 500
    bit_depth: int = 8
    impression_type: int = 0
    certifications: tuple[tuple[int, int], ...] = ()
    extended_data: bytes = b""
    edition: int = 2011

    @property
    def bio_subtype(self) -> str:
        return FINGER_POSITIONS.get(self.position, f"position {self.position}")


@dataclass(frozen=True)
class FingerRecord:
    fingers: tuple[FingerImage, ...]


@dataclass(frozen=True)
class FaceImage:
    """One face image. ``image_format`` is jpeg, jp2-lossy, jp2 or png; ``landmarks`` holds the raw 8-byte
    landmark (2011) or feature point (2005) entries."""

    image: bytes
    width: int
    height: int
    image_format: str = "jp2"
    quality: tuple[QualityBlock, ...] = ()
    captured_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    face_image_type: int = 1  # full frontal
    landmarks: bytes = b""
    edition: int = 2011


@dataclass(frozen=True)
class IrisImage:
    """One iris image. ``image_format`` is raw, raw-rgb, jpeg, jpeg-ls, jp2 or png; ``image_type`` is the
    2011 image type (0 for 2005-edition images, which have none)."""

    eye: str
    image: bytes
    width: int
    height: int
    image_format: str = "jp2"
    quality: tuple[QualityBlock, ...] = ()
    captured_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    image_type: int = 3  # cropped and masked per 19794-6 "cropped"
    bit_depth: int = 8
    edition: int = 2011

    @property
    def bio_subtype(self) -> str:
        return self.eye

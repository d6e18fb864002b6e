"""Which biometrics a new registration captures, and the per-modality quality rules (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINGERS = ("Thumb", "IndexFinger", "MiddleFinger", "RingFinger", "LittleFinger")
# Capture groups as devices take them: two four-finger slaps, the two thumbs, both irises, the face.
CAPTURE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "left_slap": ("finger", tuple(f"Left {f}" for f in FINGERS[1:])),
    "right_slap": ("finger", tuple(f"Right {f}" for f in FINGERS[1:])),
    "thumbs": ("finger", ("Left Thumb", "Right Thumb")),
    "irises": ("iris", ("Left", "Right")),
    "face": ("face", ("Face",)),
}
# Why a finger or eye is not captured (the packet's exceptions.json carries the code; the kiosk words it).
EXCEPTION_REASONS = ("missing", "amputated", "temporary")


@dataclass(frozen=True)
class BiometricPolicy:
    """Config from master data: ``biometrics.thresholds`` {modality: 0-100}, ``biometrics.max_retries``,
    ``supervisor.approval_for`` (list of: exceptions, poor_quality, always)."""

    thresholds: dict[str, int] = field(default_factory=lambda: {"finger": 60, "iris": 60, "face": 50})
    max_retries: int = 3
    approval_for: frozenset[str] = frozenset({"exceptions", "poor_quality"})

    @classmethod
    def from_config(cls, config: Any) -> BiometricPolicy:
        """Build from a ``config(key, default)`` lookup."""
        base = cls()
        return cls(
            thresholds={**base.thresholds, **(config("biometrics.thresholds", {}) or {})},
            max_retries=int(config("biometrics.max_retries", base.max_retries)),
            approval_for=frozenset(config("supervisor.approval_for", sorted(base.approval_for))),
        )


@dataclass(frozen=True)
class BiometricCapture:
    """One captured record, as a device adapter returns it (ISO record bytes + quality + device id)."""

    modality: str
    bio_subtype: str
    quality: int
    record: bytes
    format: str = "ISO19794"
    device: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BiometricException:
    modality: str
    bio_subtype: str
    reason: str  # one of EXCEPTION_REASONS

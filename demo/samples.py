"""Generated sample people for the headless demo and the benchmark (until devices are attached).

Images are synthetic (numpy + OpenCV): a ridge-like pattern per finger, a ring pattern per iris, a simple
face drawing, a document scan; each wrapped in a minimal ISO/IEC 19794-style record (format identifier,
version, length, modality/position, quality, then the PNG/JPEG image).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

import cv2
import numpy as np

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture

_FORMATS = {
    "finger": (b"FIR\x00", b"020\x00", "ISO19794_4_2011"),
    "iris": (b"IIR\x00", b"020\x00", "ISO19794_6_2011"),
    "face": (b"FAC\x00", b"030\x00", "ISO19794_5_2011"),
}
SAMPLE_DEVICE = {"make": "OpenReg", "model": "generated-sample", "serial": "SAMPLE-0001", "type": "sample"}
NAMES = [
    "Amina Diallo",
    "Jonas Okafor",
    "Leila Haddad",
    "Pierre Mensah",
    "Fatou Ndiaye",
    "Omar Benali",
    "Grace Achieng",
    "Yusuf Kamara",
    "Clara Mbeki",
    "Samir Toure",
]


def _encode(image: np.ndarray, ext: str, quality: int = 90) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == ".jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, buffer = cv2.imencode(ext, image, params)
    assert ok
    return buffer.tobytes()


def _finger(seed: int, size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    cx, cy = rng.uniform(0.35, 0.65, 2) * size
    r = np.hypot(x - cx, y - cy) + 6 * np.sin((x + y) / rng.uniform(15, 30))
    ridges = (127 + 120 * np.sin(r / rng.uniform(3.0, 4.5))).astype(np.uint8)
    mask = ((x - size / 2) ** 2 / (size * 0.38) ** 2 + (y - size / 2) ** 2 / (size * 0.48) ** 2) <= 1
    return np.where(mask, ridges, 255).astype(np.uint8)


def _iris(seed: int, size: int = 240) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.full((size, size), 200, np.uint8)
    cv2.circle(image, (size // 2, size // 2), size // 3, int(rng.integers(60, 120)), -1)
    for _ in range(60):
        angle = rng.uniform(0, 2 * np.pi)
        end = (int(size / 2 + np.cos(angle) * size / 3), int(size / 2 + np.sin(angle) * size / 3))
        cv2.line(image, (size // 2, size // 2), end, int(rng.integers(40, 160)), 1)
    cv2.circle(image, (size // 2, size // 2), size // 9, 10, -1)
    return image


def _face(seed: int, size: int = 320) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.full((size, size, 3), (235, 225, 215), np.uint8)
    skin = tuple(int(v) for v in rng.integers(90, 200, 3))
    cv2.ellipse(image, (size // 2, size // 2), (size // 4, size // 3), 0, 0, 360, skin, -1)
    for dx in (-1, 1):
        cv2.circle(image, (size // 2 + dx * size // 10, size // 2 - size // 12), size // 30, (30, 30, 30), -1)
    cv2.ellipse(
        image, (size // 2, size // 2 + size // 8), (size // 10, size // 30), 0, 0, 180, (40, 40, 120), 3
    )
    return image


def iso_record(modality: str, position: int, quality: int, image: bytes) -> bytes:
    """A minimal 19794-style record: magic, version, total length, position, quality, image."""
    magic, version, _ = _FORMATS[modality]
    header = magic + version + struct.pack(">IBB", 14 + len(image), position, quality)
    return header + image


def capture_group(group: str, *, seed: int, quality: int | None = None) -> list[BiometricCapture]:
    modality, subtypes = CAPTURE_GROUPS[group]
    rng = random.Random(seed)
    records = []
    for position, subtype in enumerate(subtypes, start=1):
        q = quality if quality is not None else rng.randint(72, 96)
        if modality == "finger":
            image = _encode(_finger(seed * 31 + position), ".png")
        elif modality == "iris":
            image = _encode(_iris(seed * 17 + position), ".png")
        else:
            image = _encode(_face(seed), ".jpg")
        records.append(
            BiometricCapture(
                modality=modality,
                bio_subtype=subtype,
                quality=q,
                record=iso_record(modality, position, q, image),
                format=_FORMATS[modality][2],
                device=dict(SAMPLE_DEVICE),
            )
        )
    return records


def document_scan(seed: int, *, target_bytes: int = 300_000) -> bytes:
    """A JPEG 'scan' of roughly ``target_bytes`` (noise keeps JPEG from compressing it away)."""
    rng = np.random.default_rng(seed)
    side = int(max(64, (target_bytes / 1.1) ** 0.5))
    image = rng.integers(0, 256, (side, side), dtype=np.uint8)
    cv2.putText(image, f"ID DOCUMENT {seed}", (10, side // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 2)
    return _encode(image, ".jpg", 85)


@dataclass(frozen=True)
class SamplePerson:
    demographics: dict[str, object]
    missing_finger: str | None


def sample_person(index: int, *, locations: dict[str, str], gender: str) -> SamplePerson:
    """Demographics for person ``index``; every third person has a missing finger (exception path)."""
    year = 1960 + (index * 7) % 45
    return SamplePerson(
        demographics={
            "consent": "I_AGREE",  # the applicant agreed to the consent text (shown first)
            "fullName": NAMES[index % len(NAMES)],
            "dateOfBirth": f"{year}-{1 + index % 12:02d}-{1 + index % 27:02d}",
            "gender": gender,
            "phone": f"+221 77 {100 + index:03d} {2000 + index:04d}",
            "addressLine": f"{10 + index} Baobab Avenue",
            **locations,
        },
        missing_finger="Left LittleFinger" if index % 3 == 2 else None,
    )

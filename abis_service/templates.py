"""From a CBEFF document to templates, and from two template sets to scores.

The CBEFF XML (as MOSIP packets carry it) wraps ISO/IEC 19794-4/-5/-6 records; ``device_drivers.iso``
reads them. Exceptions (missing fingers or eyes) and exception photos carry no template. Scores are 0-100
per modality; the fused score is the weighted mean of finger and iris (face only as a last resort).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from abis_service.faces import FaceNotFound, compare_faces, face_template, load_face_template
from abis_service.fingers import compare_fingers, finger_template, load_finger_template
from abis_service.irises import IrisNotFound, compare_irises, iris_template, load_iris_template
from device_drivers.iso import (
    IsoRecordError,
    read_cbeff,
    read_face_record,
    read_finger_record,
    read_iris_record,
)
from device_drivers.iso.images import decode_image

MAX_SAMPLES = 16  # ten fingers, two irises, a face, and a few spare
MAX_IMAGE_PIXELS = 4000 * 4000
# Fingers decide most (ten of them, the best-measured matcher), irises next. The face matcher (LBP) barely
# separates faces (docs/abis.md), so its score is reported but decides only when nothing else is shared.
WEIGHTS = {"finger": 0.65, "iris": 0.35}
BIOMETRIC_TYPES = {"finger": "FIR", "iris": "IIR", "face": "FID"}  # MOSIP's names in responses


class TemplateError(ValueError):
    """The biometrics cannot be read or hold nothing to match."""


@dataclass(frozen=True)
class Template:
    modality: str  # finger | iris | face
    subtype: str  # "Left Thumb", "Left", "" ...
    data: bytes


def _gray(payload: bytes) -> np.ndarray:
    image = decode_image(payload, grayscale=True)
    if image.size > MAX_IMAGE_PIXELS:
        raise TemplateError(f"an image of {image.shape[1]}x{image.shape[0]} pixels is too large")
    return image


def _images(bio_type: str, subtype: str, record: bytes) -> Iterable[tuple[str, str, np.ndarray]]:
    kind = bio_type.lower()
    if kind == "finger":
        for finger in read_finger_record(record).fingers:
            yield "finger", subtype or finger.bio_subtype, _gray(finger.image)
    elif kind == "iris":
        for iris in read_iris_record(record):
            yield "iris", subtype, _gray(iris.image)
    elif kind == "face":
        for face in read_face_record(record)[:1]:
            yield "face", "", _gray(face.image)


_EXTRACT: dict[str, Callable[[np.ndarray], bytes]] = {
    "finger": finger_template,
    "iris": iris_template,
    "face": face_template,
}


def templates_from_cbeff(cbeff: bytes) -> list[Template]:
    """Templates of every usable record; raises ``TemplateError`` if none can be made."""
    try:
        entries = [e for e in read_cbeff(cbeff) if not e.exception and e.iso_record]
    except IsoRecordError as exc:
        raise TemplateError(f"the CBEFF document cannot be read: {exc}") from exc
    if len(entries) > MAX_SAMPLES:
        raise TemplateError(f"{len(entries)} biometric records; at most {MAX_SAMPLES} are accepted")
    templates, problems = [], []
    for entry in entries:
        try:
            for modality, subtype, image in _images(entry.bio_type, entry.bio_subtype, entry.iso_record):
                templates.append(Template(modality, subtype, _EXTRACT[modality](image)))
        except (IsoRecordError, IrisNotFound, FaceNotFound, TemplateError) as exc:
            problems.append(f"{entry.bio_type} {entry.bio_subtype}: {exc}".strip())
    if not templates:
        raise TemplateError("no usable biometrics" + (f" ({'; '.join(problems)})" if problems else ""))
    return templates


_LOAD: dict[str, Callable[[bytes], Any]] = {
    "finger": load_finger_template,
    "iris": load_iris_template,
    "face": load_face_template,
}
_COMPARE: dict[str, Callable[[Any, Any], float]] = {
    "finger": compare_fingers,
    "iris": compare_irises,
    "face": compare_faces,
}


@dataclass(frozen=True)
class LoadedTemplate:
    modality: str
    subtype: str
    features: Any


def load(templates: Iterable[Template]) -> list[LoadedTemplate]:
    return [LoadedTemplate(t.modality, t.subtype, _LOAD[t.modality](t.data)) for t in templates]


def _modality_score(probe: list[LoadedTemplate], reference: list[LoadedTemplate], modality: str) -> float:
    """Mean over the probe's samples of its score against the same finger / eye of the reference (or, when
    subtypes are unknown or differ, against the best of the reference's samples)."""
    compare = _COMPARE[modality]
    scores = []
    for p in probe:
        same = [r for r in reference if r.subtype == p.subtype and p.subtype]
        scores.append(max(compare(p.features, r.features) for r in (same or reference)))
    return float(np.mean(scores))


def score(probe: list[LoadedTemplate], reference: list[LoadedTemplate]) -> tuple[float, dict[str, float]]:
    """(fused 0-100, {modality: 0-100}) over the modalities both template sets have: the weighted mean of
    finger and iris, or the face score when they share no finger or iris."""
    per_modality = {}
    for modality in _COMPARE:
        mine = [t for t in probe if t.modality == modality]
        theirs = [t for t in reference if t.modality == modality]
        if mine and theirs:
            per_modality[modality] = round(_modality_score(mine, theirs, modality), 2)
    weighed = {m: s for m, s in per_modality.items() if m in WEIGHTS}
    if not weighed:
        return per_modality.get("face", 0.0), per_modality
    total = sum(WEIGHTS[m] for m in weighed)
    return round(sum(WEIGHTS[m] * s for m, s in weighed.items()) / total, 2), per_modality

"""Finger templates and comparison through fingerprint-recognition (PyPI ``fingerprint-recognition``).

The library enhances the print (CLAHE, Gabor ridge filter), finds minutiae by crossing number, describes
each with an ORB descriptor turned to the ridge direction, aligns two prints on the descriptor matches and
counts the minutiae that coincide. A template here is what that comparison needs (minutiae, keypoints,
descriptors), stored as a small ``.npz`` so the gallery never keeps images.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from fingerprint_recognition import Features, Minutia, MinutiaKind, extract_features, match_features

# Minutiae pairs that map to a score of 0 and of 100: re-captures of one finger pair 80-170 minutiae;
# different fingers pair up to ~60 by chance on dense synthetic prints (docs/abis.md has the figures).
PAIRS_FLOOR = 40
PAIRS_FULL = 90


def finger_template(image: np.ndarray) -> bytes:
    """The template of one grayscale finger image (8-bit, 500 ppi)."""
    features = extract_features(image)
    minutiae = np.array([(m.x, m.y, m.angle, m.kind.value) for m in features.minutiae], np.float64)
    keypoints = np.array(
        [(k.pt[0], k.pt[1], k.size, k.angle, k.class_id) for k in features.keypoints], np.float64
    )
    descriptors = features.descriptors if features.descriptors is not None else np.zeros((0, 32), np.uint8)
    buffer = io.BytesIO()
    np.savez(
        buffer, minutiae=minutiae.reshape(-1, 4), keypoints=keypoints.reshape(-1, 5), descriptors=descriptors
    )
    return buffer.getvalue()


def load_finger_template(data: bytes) -> Features:
    """The comparison features stored by ``finger_template`` (ValueError if the bytes are not one)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            minutiae, keypoints, descriptors = stored["minutiae"], stored["keypoints"], stored["descriptors"]
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"not a finger template: {exc}") from exc
    return Features(
        minutiae=[Minutia(int(x), int(y), float(a), MinutiaKind(int(k))) for x, y, a, k in minutiae],
        keypoints=[cv2.KeyPoint(x, y, size, angle, class_id=int(c)) for x, y, size, angle, c in keypoints],
        descriptors=descriptors if len(descriptors) else None,
        ridge_map=None,  # type: ignore[arg-type]  # only extraction uses it
    )


def compare_fingers(probe: Features, reference: Features) -> float:
    """0-100: how many minutiae line up once the two prints are aligned, on a linear scale."""
    pairs = match_features(probe, reference).score
    return float(np.clip((pairs - PAIRS_FLOOR) / (PAIRS_FULL - PAIRS_FLOOR), 0, 1) * 100)

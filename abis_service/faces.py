"""Face templates: local binary pattern histograms (scikit-image) of the face OpenCV's Haar cascade finds.

No learned face model ships here (none may be downloaded at run time), so this is the classic LBP
scheme (Ahonen et al.): the largest frontal face, cropped, 96 x 96, histogram-equalised; uniform LBP
codes (8 neighbours, radius 1) counted in a 6 x 6 grid; two faces compare by the chi-square distance
of their histograms. It tells a real face from a drawn one but not the project's drawn people from each
other, so the fused score leaves it out unless nothing else is shared (docs/abis.md).
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from skimage.feature import local_binary_pattern

SIZE, GRID, POINTS = 96, 6, 8
BINS = POINTS + 2  # uniform patterns plus one bin for the rest
# Chi-square distances that map to 100 and to 0 (docs/abis.md has the measurements).
CHI_FULL, CHI_FLOOR = 0.03, 0.12


class FaceNotFound(ValueError):
    """No frontal face in the image."""


_cascade: cv2.CascadeClassifier | None = None


def _detector() -> cv2.CascadeClassifier:
    global _cascade
    if _cascade is None:  # loaded on first use, not at import
        _cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return _cascade


def face_template(gray: np.ndarray) -> bytes:
    """The LBP histogram vector of the largest face in a grayscale image, as ``.npy`` bytes."""
    found = _detector().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(48, 48))
    if len(found) == 0:
        raise FaceNotFound("no frontal face found")
    x, y, w, h = max(found, key=lambda f: f[2] * f[3])
    face = cv2.equalizeHist(
        cv2.resize(gray[y : y + h, x : x + w], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    )
    codes = local_binary_pattern(face, POINTS, 1, method="uniform").astype(np.int32)
    cell = SIZE // GRID
    histograms = [
        np.bincount(codes[r : r + cell, c : c + cell].ravel(), minlength=BINS)[:BINS]
        for r in range(0, SIZE, cell)
        for c in range(0, SIZE, cell)
    ]
    vector = np.concatenate(histograms).astype(np.float32)
    buffer = io.BytesIO()
    np.save(buffer, vector / vector.sum(), allow_pickle=False)
    return buffer.getvalue()


def load_face_template(data: bytes) -> np.ndarray:
    """The vector stored by ``face_template`` (ValueError if the bytes are not one)."""
    try:
        vector = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a face template: {exc}") from exc
    if vector.shape != (GRID * GRID * BINS,):
        raise ValueError("face template has the wrong shape")
    return vector.astype(np.float32)


def compare_faces(probe: np.ndarray, reference: np.ndarray) -> float:
    """0-100 on a linear scale of the chi-square distance between ``CHI_FLOOR`` (0) and ``CHI_FULL`` (100)."""
    chi = float(0.5 * np.sum((probe - reference) ** 2 / (probe + reference + 1e-9)))
    return float(np.clip((CHI_FLOOR - chi) / (CHI_FLOOR - CHI_FULL), 0, 1) * 100)

"""A capture's outcome reads as words in the kiosk language, naming the fingers or eyes to redo."""

from __future__ import annotations

import pytest

from client.core.registration.workflow import CaptureOutcome
from client.ui.screens.biometric_words import outcome_words, quality_words


def test_accepted_retry_and_kept_best_in_english_and_arabic():
    assert outcome_words(CaptureOutcome(True, False, 1, threshold=60), "eng") == "Quality accepted"
    retry = CaptureOutcome(False, True, 1, ("Left Thumb", "Left"), 60)
    assert outcome_words(retry, "eng") == "Left thumb, Left eye: below 60; please capture again"
    assert outcome_words(retry, "ara") == "الإبهام الأيسر، العين اليسرى: دون 60؛ يرجى إعادة الالتقاط"
    kept = CaptureOutcome(True, False, 3, ("Right",), 60)
    assert outcome_words(kept, "fra") == "Meilleure des 3 captures conservée (Œil droit)"


@pytest.mark.parametrize(
    ("quality", "excepted", "language", "expected"),
    [
        (85, False, "eng", "quality 85, needs 60: accepted ✔"),
        (41, False, "eng", "quality 41, needs 60: too low ✘"),
        (None, False, "eng", "needs 60"),
        (None, True, "eng", "missing"),
        (85, False, "ara", "الجودة 85، المطلوب 60: مقبولة ✔"),
        (41, False, "fra", "qualité 41, minimum 60 : trop basse ✘"),
    ],
)
def test_a_quality_bar_says_its_verdict_in_words_and_a_mark(quality, excepted, language, expected):
    """Not by colour alone, and not "85 / 60": the officer reads the verdict."""
    assert quality_words(quality, 60, excepted, language) == expected

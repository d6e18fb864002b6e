"""A capture's outcome reads as words in the kiosk language, naming the fingers or eyes to redo."""

from __future__ import annotations

from client.core.registration.workflow import CaptureOutcome
from client.ui.screens.biometrics_page import outcome_words


def test_accepted_retry_and_kept_best_in_english_and_arabic():
    assert outcome_words(CaptureOutcome(True, False, 1, threshold=60), "eng") == "Quality accepted"
    retry = CaptureOutcome(False, True, 1, ("Left Thumb", "Left"), 60)
    assert outcome_words(retry, "eng") == "Left thumb, Left eye: below 60; please capture again"
    assert outcome_words(retry, "ara") == "الإبهام الأيسر، العين اليسرى: دون 60؛ يرجى إعادة الالتقاط"
    kept = CaptureOutcome(True, False, 3, ("Right",), 60)
    assert outcome_words(kept, "fra") == "Meilleure des 3 captures conservée (Œil droit)"

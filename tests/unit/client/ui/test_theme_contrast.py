"""Every text the kiosk draws meets WCAG 2.x AA (4.5:1) in both themes, checked from the palettes."""

import pytest

from client.ui.theme import HIGH_CONTRAST, NORMAL, WCAG_AA_TEXT, contrast_ratio, stylesheet


def test_contrast_ratio_matches_the_spec_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss


@pytest.mark.parametrize("palette", [NORMAL, HIGH_CONTRAST], ids=["normal", "high_contrast"])
def test_every_text_pair_meets_aa(palette):
    failures = {
        role: round(contrast_ratio(fg, bg), 2)
        for role, (fg, bg) in palette.text_pairs().items()
        if contrast_ratio(fg, bg) < WCAG_AA_TEXT
    }
    assert not failures


@pytest.mark.parametrize("high_contrast", [False, True])
def test_stylesheets_use_the_palette(high_contrast):
    palette = HIGH_CONTRAST if high_contrast else NORMAL
    sheet = stylesheet(high_contrast=high_contrast)
    for fg, bg in palette.text_pairs().values():
        assert fg in sheet and bg in sheet
    assert 'QProgressBar[low="true"]::chunk' in sheet

"""The fonts of printed pages (the kiosk's receipt, the UIN letter) come from the system (no download)
and must cover Latin, French and Arabic."""

import pytest

from client.core.registration.receipt_fonts import ReceiptFontMissing, receipt_fonts
from shared import pdf_text as fonts_module
from shared.pdf_text import COVERAGE_PROBE, missing_glyphs


@pytest.fixture
def fresh_lookup():
    receipt_fonts.cache_clear()
    fonts_module.pdf_fonts.cache_clear()
    yield
    receipt_fonts.cache_clear()
    fonts_module.pdf_fonts.cache_clear()


def test_installed_fonts_cover_latin_french_and_arabic(fresh_lookup):
    fonts = receipt_fonts()
    assert fonts.regular != fonts.bold
    assert not missing_glyphs(fonts.regular, COVERAGE_PROBE)
    assert missing_glyphs(fonts.regular, "漢") == {"漢"}  # the check does see what a font lacks


def test_no_font_installed_is_a_clear_error(fresh_lookup, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts_module, "_DIRS", (tmp_path,))
    monkeypatch.setattr(fonts_module.shutil, "which", lambda _name: None)
    with pytest.raises(ReceiptFontMissing, match="fonts-dejavu-core"):
        receipt_fonts()


def test_a_font_found_by_fontconfig_is_used(fresh_lookup, monkeypatch, tmp_path):
    installed = fonts_module._find("DejaVuSans.ttf", "DejaVu Sans")
    monkeypatch.setattr(fonts_module, "_DIRS", (tmp_path,))
    monkeypatch.setattr(fonts_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    seen = []

    def fc_match(args, **_kw):
        seen.append(args)
        return type("Done", (), {"stdout": str(installed)})()

    monkeypatch.setattr(fonts_module.subprocess, "run", fc_match)
    assert fonts_module._find("DejaVuSans.ttf", "DejaVu Sans") == installed
    assert seen[0][0] == "fc-match"

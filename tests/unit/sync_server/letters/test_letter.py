"""The UIN letter PDF: its words in eng/fra/ara (Arabic shaped, every glyph in the embedded fonts,
nothing past the margins), the QR on the rendered page verifies, and the name picked per language."""

import datetime as dt
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from shared.pdf_text import missing_glyphs, pdf_fonts, visual, wrap_visual
from shared.signing import generate_private_key, key_id
from shared.uin_credential import public_keys_by_id, verify_credential
from sync_server.letters.letter import build_letter
from sync_server.letters.names import NoResidentName, resident_name
from sync_server.letters.words import LETTER_WORDS, RIGHT_TO_LEFT

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
KEY = generate_private_key()
UIN = "2345678901"
ARABIC_NAME = "أمينة ديالو"
NAMES = [{"language": "eng", "value": "Amina Diallo"}, {"language": "ara", "value": ARABIC_NAME}]


def letter(language: str, demographics: dict | None = None) -> bytes:
    return build_letter(
        uin=UIN,
        demographics=demographics or {"fullName": NAMES},
        language=language,
        center_name="Capital Central",
        signer=KEY,
        issued_on=dt.date(2026, 6, 1),
    )


def poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True, timeout=60).stdout


@needs_poppler
@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
def test_letter_text_fonts_and_margins(tmp_path, language):
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter(language))
    fonts = [line.split() for line in poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # every font embedded
    # pdftotext puts right-to-left runs back in logical order; NFKC folds the joined letter forms
    text = unicodedata.normalize("NFKC", poppler("pdftotext", str(pdf), "-"))
    text = re.sub("[\u200e\u200f\u202a-\u202e]", "", text).replace("\u00a0", " ")
    words = LETTER_WORDS[language]
    for expected in (words["name"], words["uin"], words["center"], words["verify_title"], "2345 6789 01"):
        assert unicodedata.normalize("NFKC", expected).replace("\u00a0", " ") in text
    assert "Capital Central" in text and "2026-06-01" in text and key_id(KEY) in text
    assert (ARABIC_NAME if language == "ara" else "Amina Diallo") in text
    # every word box lies inside the 20 mm margins (nothing clipped or run off the page)
    page = ET.fromstring(poppler("pdftotext", "-bbox", str(pdf), "-").split("<body>")[1].split("</body>")[0])
    margin = 20 / 25.4 * 72 - 1
    boxes = list(page.iter("word"))
    assert len(boxes) > 60
    for word in boxes:
        assert float(word.get("xMin")) >= margin and float(word.get("xMax")) <= 595.27 - margin, word.text


@needs_poppler
@pytest.mark.parametrize("language", ["eng", "ara"])
def test_the_qr_on_the_printed_page_verifies(tmp_path, language):
    (tmp_path / "l.pdf").write_bytes(letter(language))
    poppler("pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "l.pdf"), str(tmp_path / "page"))
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    credential = verify_credential(found[0].text, public_keys_by_id([KEY.public_key()]))
    assert credential.uin == UIN and credential.issued_at == dt.date(2026, 6, 1)
    assert credential.name == (ARABIC_NAME if language == "ara" else "Amina Diallo")


def test_the_letter_is_reproducible_and_unknown_languages_are_refused():
    assert letter("fra") == letter("fra")  # no timestamps or random ids in the file
    with pytest.raises(ValueError, match="deu"):
        letter("deu")


def test_every_arabic_glyph_drawn_is_in_the_embedded_font():
    fonts = pdf_fonts("OpenRegLetter")
    words = [*LETTER_WORDS["ara"].values(), ARABIC_NAME]
    for font in (fonts.regular, fonts.bold):
        assert not {c for w in words for c in missing_glyphs(font, visual(w, rtl=True))}
        for language in ("eng", "fra"):
            assert not {c for w in LETTER_WORDS[language].values() for c in missing_glyphs(font, w)}
    assert {"ara"} == RIGHT_TO_LEFT and set(LETTER_WORDS) == {"eng", "fra", "ara"}
    assert all(LETTER_WORDS[lang].keys() == LETTER_WORDS["eng"].keys() for lang in LETTER_WORDS)


def test_wrapped_arabic_lines_read_in_order_and_fit():
    fonts = pdf_fonts("OpenRegLetter")
    text = LETTER_WORDS["ara"]["verify"]
    lines = wrap_visual(text, font=fonts.regular, size=10, width=200, rtl=True)
    assert len(lines) > 3
    # each line is one logical stretch of the sentence, reordered on its own
    logical = [unicodedata.normalize("NFKC", line[::-1]) for line in lines]
    assert logical[0].split()[0] == "يحمل" and "الرسالة" in logical[-1]
    assert all(
        not ("\u0600" <= c <= "\u06ff") or c in "،" for line in lines for c in line
    )  # all joined forms
    assert wrap_visual("", font=fonts.regular, size=10, width=200, rtl=False) == []


def test_the_name_is_picked_in_the_letters_language():
    assert resident_name({"fullName": " Amina   Diallo "}, language="ara") == "Amina Diallo"
    assert resident_name({"fullName": NAMES}, language="ara") == ARABIC_NAME
    assert resident_name({"fullName": NAMES}, language="fra") == "Amina Diallo"  # English next
    only_french = [{"language": "fra", "value": "Amélie"}, {"language": "ara", "value": " "}]
    assert resident_name({"fullName": only_french}, language="ara") == "Amélie"  # then the first
    assert resident_name({"fullName": {"value": "Bo Chan"}}, language="eng") == "Bo Chan"
    for bad in ({}, {"fullName": ""}, {"fullName": []}, {"fullName": 7}, {"fullName": [{"value": 3}]}):
        with pytest.raises(NoResidentName):
            resident_name(bad, language="eng")
    with pytest.raises(NoResidentName):
        letter("eng", {"dateOfBirth": "1990-01-01"})


@needs_poppler
def test_very_long_values_are_set_smaller_and_stay_above_the_footer(tmp_path):
    name = " ".join(["Bartholomew-Maximilian"] * 9)[:200].strip()
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(
        build_letter(
            uin=UIN,
            demographics={"fullName": name},
            language="fra",
            center_name="Centre de Santé Communautaire de la Grande Région du Nord-Ouest " * 3,
            signer=KEY,
            issued_on=dt.date(2026, 6, 1),
        )
    )
    page = ET.fromstring(poppler("pdftotext", "-bbox", str(pdf), "-").split("<body>")[1].split("</body>")[0])
    key_line = next(w for w in page.iter("word") if w.text == key_id(KEY))
    footer_rule = 841.89 - 22 / 25.4 * 72  # from the top, as pdftotext measures
    assert float(key_line.get("yMax")) < footer_rule
    assert any(w.text.endswith("…") for w in page.iter("word"))  # the name was cut, visibly

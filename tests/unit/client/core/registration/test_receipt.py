"""The receipt PDF carries the RID as text and as a QR that zbar decodes back to the RID, its words in the
applicant's languages (Arabic shaped, in an embedded font that has every glyph) and the applicant's photo."""

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from client.core.registration.biometrics import BiometricCapture
from client.core.registration.receipt import (
    ReceiptData,
    face_photo,
    reads_right_to_left,
    render_receipt,
    visual,
)
from client.core.registration.receipt_fonts import receipt_fonts
from client.core.registration.receipt_words import RECEIPT_WORDS
from device_drivers.iso import FaceImage, write_face_record
from shared.biometric_names import SUBTYPE_NAMES
from shared.pdf_text import missing_glyphs

RID = "10001100420000720260601101500"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_qr_on_rendered_page_decodes_to_the_rid(tmp_path):
    pdf = render_receipt(
        ReceiptData(
            rid=RID,
            full_name="Amina Diallo",
            center_id="10001",
            center_name="Capital Center",
            created_at=datetime(2026, 6, 1, 10, 15, tzinfo=UTC),
            modalities=["finger", "iris", "face"],
            exceptions=[],
            operator_id="op1",
        )
    )
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "r.pdf"), str(tmp_path / "page")],
        check=True,
    )
    symbols = decode(Image.open(tmp_path / "page.png"))
    assert [s.data.decode() for s in symbols if s.type == "QRCODE"] == [RID]
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert RID in text and "Amina Diallo" in text


ARABIC_NAME = "أمينة ديالو"


def _arabic_receipt(photo: bytes | None) -> bytes:
    return render_receipt(
        ReceiptData(
            rid=RID,
            full_name=ARABIC_NAME,
            center_id="10001",
            center_name="المركز الرئيسي",
            created_at=datetime(2026, 6, 1, 10, 15, tzinfo=UTC),
            modalities=["finger", "face"],
            exceptions=["Left IndexFinger"],
            operator_id="op1",
            languages=("ara", "fra"),
            photo=photo,
        )
    )


def _poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_arabic_receipt_embeds_its_fonts_keeps_arabic_in_logical_order_and_shows_the_photo(tmp_path):
    photo = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 160, 120)).save(photo, "PNG")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(_arabic_receipt(photo.getvalue()))
    fonts = [line.split() for line in _poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # the "emb" column: every font
    # pdftotext puts right-to-left runs back in logical order; NFKC folds the joined letter forms
    text = unicodedata.normalize("NFKC", _poppler("pdftotext", str(pdf), "-"))
    text = re.sub("[\u200e\u200f\u202a-\u202e]", "", text)
    for arabic in (ARABIC_NAME, "المركز الرئيسي", "إشعار التسجيل", "الاسم", "الموظف", "بصمات الأصابع"):
        assert arabic in text
    assert "Accusé d'enregistrement" in text and RID in text
    assert "السبابة اليسرى" in text and "Index gauche" in text and "IndexFinger" not in text  # named
    assert "image" in _poppler("pdfimages", "-list", str(pdf)).splitlines()[-1]  # the photo
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(tmp_path / "p")], check=True)
    assert Image.open(tmp_path / "p.png").size[0] > 400


def test_every_arabic_glyph_drawn_is_in_the_embedded_font():
    fonts = receipt_fonts()
    words = [*RECEIPT_WORDS["ara"].values(), *SUBTYPE_NAMES["ara"].values(), ARABIC_NAME]
    for font in (fonts.regular, fonts.bold):
        assert not {c for w in words for c in missing_glyphs(font, visual(w, rtl=True))}


def test_arabic_is_joined_and_reordered_with_brackets_mirrored():
    shown = visual("رقم (RID)", rtl=True)
    assert shown.startswith("(RID)")  # the Latin run stays left of the Arabic, brackets face it
    assert all(not ("\u0600" <= c <= "\u06ff") for c in shown)  # every letter in its joined form
    assert visual("Amélie Çelik") == "Amélie Çelik"
    assert reads_right_to_left(ARABIC_NAME) and not reads_right_to_left("12 Palm Street")


def test_face_photo_is_the_image_inside_the_face_record():
    image = FaceImage(b"\x89PNG-bytes", 300, 400, "png")
    captures = [
        BiometricCapture("finger", "Left IndexFinger", 90, b"r"),
        BiometricCapture("face", "face", 90, write_face_record([image])),
    ]
    assert face_photo(captures) == b"\x89PNG-bytes"
    assert face_photo([BiometricCapture("face", "face", 90, b"not a record")]) is None
    assert face_photo(captures[:1]) is None


def test_an_unreadable_photo_still_gives_a_receipt():
    assert _arabic_receipt(b"not an image").startswith(b"%PDF")


def _text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = unicodedata.normalize("NFKC", _poppler("pdftotext", str(tmp_path / "r.pdf"), "-"))
    return re.sub("[\u200e\u200f\u202a-\u202e]", "", text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize(
    ("flow", "extra", "expected", "absent"),
    [
        (
            "update",
            {
                "uin": "5482716390",
                "changes": {"address": {"eng": "Address", "ara": "العنوان"}, "documents": {}},
            },
            ["إشعار طلب التحديث", "Accusé de demande de mise à jour", "5482716390", "العنوان", "documents"],
            ["إشعار التسجيل"],
        ),
        (
            "lost",
            {},
            ["إشعار طلب رقم هوية مفقود", "votre NIU vous sera donné"],
            ["Citez le RID pour suivre votre enregistrement"],
        ),
        (
            "correction",
            {"correction_of": "10001100420000720260501101500"},
            ["10001100420000720260501101500", "En réponse au RID"],
            [],
        ),
    ],
)
def test_each_process_names_its_receipt_and_prints_what_it_asks(tmp_path, flow, extra, expected, absent):
    pdf = render_receipt(
        ReceiptData(
            rid=RID,
            full_name="" if flow == "update" else ARABIC_NAME,  # an update of the address carries no name
            center_id="10001",
            center_name="Capital Center",
            created_at=datetime(2026, 6, 1, 10, 15, tzinfo=UTC),
            modalities=["finger"],
            exceptions=[],
            operator_id="op1",
            languages=("ara", "fra"),
            flow=flow,
            **extra,
        )
    )
    text = _text(pdf, tmp_path)
    assert RID in text
    for words in expected:
        assert words in text, words
    for words in absent:
        assert words not in text, words
    assert ("الاسم" in text) is (flow != "update")  # no empty name row

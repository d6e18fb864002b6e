"""The acknowledgement receipt: a one-page PDF with the RID as text and as a QR code, the applicant's
photo, and its words in the applicant's languages.

Rendering is pure (bytes in, bytes out); the bytes are kept only inside the encrypted store
(:mod:`client.core.registration.receipts`). Fonts are embedded TrueType fonts covering Latin, French and
Arabic (:mod:`client.core.registration.receipt_fonts`). reportlab draws glyphs in the order given and
does not join Arabic letters, so Arabic text is shaped (``arabic_reshaper``) and put in visual order
(``python-bidi``) before drawing; lines in a right-to-left language are right-aligned.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from client.core.registration.biometrics import BiometricCapture
from client.core.registration.receipt_fonts import ReceiptFonts, receipt_fonts
from client.core.registration.receipt_words import FALLBACK, RECEIPT_WORDS, RIGHT_TO_LEFT
from device_drivers.iso import IsoRecordError, read_face_record
from shared.biometric_names import subtype_name
from shared.pdf_text import reads_right_to_left, visual

_LEFT, _RIGHT, _VALUE_X = 20 * mm, A4[0] - 20 * mm, 72 * mm
_LINE = 5.5 * mm
_PHOTO_W, _PHOTO_H = 40 * mm, 50 * mm


@dataclass(frozen=True)
class ReceiptData:
    rid: str
    full_name: str
    center_id: str
    center_name: str
    created_at: datetime
    modalities: list[str]
    exceptions: list[str]  # bio sub-types marked missing, e.g. "Left IndexFinger"
    operator_id: str
    languages: tuple[str, ...] = (FALLBACK,)
    """The applicant's languages, in order (see ``receipt_words.receipt_languages``)."""
    photo: bytes | None = None
    """The applicant's face image (JPEG, PNG or JPEG 2000), or None."""
    flow: str = "new"
    """The process (new, update, lost, correction): it names the receipt and adds its own rows."""
    uin: str | None = None
    """update: the resident's UIN."""
    changes: dict[str, dict[str, str]] = field(default_factory=dict)
    """update: what changes, group id → label per language, in the officer's order."""
    correction_of: str | None = None
    """correction: the RID of the held packet this answers."""


def face_photo(captures: Iterable[BiometricCapture]) -> bytes | None:
    """The image inside the face capture's ISO 19794-5 record, or None (no face, unreadable record)."""
    for capture in captures:
        if capture.modality == "face":
            try:
                return read_face_record(capture.record)[0].image
            except IsoRecordError:
                return None
    return None


def render_receipt(data: ReceiptData) -> bytes:
    """PDF bytes of the receipt (A4). The QR carries exactly the RID so scanners can look it up."""
    fonts = receipt_fonts()
    languages = tuple(lang for lang in data.languages if lang in RECEIPT_WORDS) or (FALLBACK,)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer, pagesize=A4, pageCompression=1, initialFontName=fonts.regular, initialFontSize=11
    )
    pdf.setTitle(f"{_words(FALLBACK, 'title', data.flow)} {data.rid}")
    page = _Page(pdf, fonts, languages)
    y = A4[1] - 25 * mm
    for lang in languages:
        page.line(lang, _words(lang, "title", data.flow), y, font=fonts.bold, size=16)
        y -= 8 * mm
    pdf.line(_LEFT, y + 3 * mm, _RIGHT, y + 3 * mm)
    y -= 5 * mm
    for key, values in _rows(data, languages):
        y = page.row(key, values, y)
    y -= 5 * mm
    _draw_qr(pdf, data.rid, y - 55 * mm, size=55 * mm)
    pdf.setFont(fonts.bold, 12)
    pdf.drawString(_LEFT, y - 62 * mm, data.rid)
    photo = _photo(data.photo)
    if photo is not None:
        pdf.drawImage(photo, _RIGHT - _PHOTO_W, y - _PHOTO_H, _PHOTO_W, _PHOTO_H, preserveAspectRatio=True)
    y = 15 * mm + (len(languages) - 1) * _LINE
    for lang in languages:
        page.line(lang, _words(lang, "keep", data.flow), y, font=fonts.regular, size=9)
        y -= _LINE
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _words(lang: str, key: str, flow: str) -> str:
    """``key``'s words for ``flow`` where the process has its own (``title_update``), else the common ones."""
    table = RECEIPT_WORDS[lang]
    return table.get(f"{key}_{flow}", table[key])


def _rows(data: ReceiptData, languages: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """(label key, value per language) in print order; most values read the same in every language."""

    def same(value: str) -> dict[str, str]:
        return dict.fromkeys(languages, value)

    def words(items: list[str], lang: str, name: Callable[[str, str], str]) -> str:
        table = RECEIPT_WORDS[lang]
        return table["separator"].join(name(item, lang) for item in items) or table["none"]

    def modality(item: str, lang: str) -> str:
        return RECEIPT_WORDS[lang].get(item, item)

    def changes(lang: str) -> str:
        labels = [
            by_lang.get(lang) or next(iter(by_lang.values()), gid) for gid, by_lang in data.changes.items()
        ]
        return RECEIPT_WORDS[lang]["separator"].join(labels) or RECEIPT_WORDS[lang]["none"]

    request: list[tuple[str, dict[str, str]]] = []
    if data.flow == "update":
        request = [("uin", same(data.uin or "")), ("changes", {lang: changes(lang) for lang in languages})]
    elif data.flow == "correction":
        request = [("answers", same(data.correction_of or ""))]
    return [
        ("rid", same(data.rid)),
        *request,
        *([("name", same(data.full_name))] if data.full_name or data.flow == "new" else []),
        ("center", same(f"{data.center_name} ({data.center_id})")),
        ("registered_at", same(data.created_at.strftime("%Y-%m-%d %H:%M:%S"))),
        ("biometrics", {lang: words(data.modalities, lang, modality) for lang in languages}),
        ("exceptions", {lang: words(data.exceptions, lang, subtype_name) for lang in languages}),
        ("officer", same(data.operator_id)),
    ]


_LABELS = (
    "rid",
    "uin",
    "changes",
    "answers",
    "name",
    "center",
    "registered_at",
    "biometrics",
    "exceptions",
    "officer",
)


class _Page:
    """Draws lines in their language's direction: left-to-right from the left margin, right-to-left
    right-aligned on the right margin."""

    def __init__(self, pdf: canvas.Canvas, fonts: ReceiptFonts, languages: tuple[str, ...]) -> None:
        self.pdf, self.fonts, self.languages = pdf, fonts, languages
        self.ltr = [lang for lang in languages if lang not in RIGHT_TO_LEFT]
        self.rtl = [lang for lang in languages if lang in RIGHT_TO_LEFT]
        widest_rtl_label = max(
            (
                stringWidth(visual(RECEIPT_WORDS[lang][key], rtl=True), fonts.bold, 9)
                for lang in self.rtl
                for key in _LABELS
            ),
            default=0.0,
        )
        self.value_end = _RIGHT - widest_rtl_label - (4 * mm if self.rtl else 0)

    def line(self, lang: str, text: str, y: float, *, font: str, size: float) -> None:
        self.pdf.setFont(font, size)
        if lang in RIGHT_TO_LEFT:
            self.pdf.drawRightString(_RIGHT, y, visual(text, rtl=True))
        else:
            self.pdf.drawString(_LEFT, y, visual(text))

    def row(self, key: str, values: dict[str, str], y: float) -> float:
        """Labels at the margins (one per language), the value(s) between them; returns the next y."""
        for labels in (self.ltr, self.rtl):
            for i, lang in enumerate(labels):
                self.line(lang, RECEIPT_WORDS[lang][key], y - i * _LINE, font=self.fonts.bold, size=9)
        shown = list(dict.fromkeys(values[lang] for lang in self.languages))
        self.pdf.setFont(self.fonts.regular, 10)
        for i, value in enumerate(shown):
            rtl = reads_right_to_left(value)
            text = _fit(value, self.fonts.regular, 10, self.value_end - _VALUE_X, rtl=rtl)
            if rtl:
                self.pdf.drawRightString(self.value_end, y - i * _LINE, text)
            else:
                self.pdf.drawString(_VALUE_X, y - i * _LINE, text)
        return y - max(len(self.ltr), len(self.rtl), len(shown)) * _LINE - 2.5 * mm


def _fit(text: str, font: str, size: float, width: float, *, rtl: bool) -> str:
    """``text`` as drawn, cut (at its logical end) to ``width``."""
    shown = visual(text, rtl=rtl)
    while text and stringWidth(shown, font, size) > width:
        text = text[:-2] + "…"
        shown = visual(text, rtl=rtl)
    return shown


def _draw_qr(pdf: canvas.Canvas, rid: str, y: float, *, size: float) -> None:
    # the flowable draws on the canvas directly (renderPDF would reference a non-embedded Helvetica)
    QrCode(rid, width=size, height=size, qrLevel="M").drawOn(pdf, _LEFT, y)


def _photo(data: bytes | None) -> ImageReader | None:
    """The photo as a small JPEG for the page (about 300 dpi at print size); None if it cannot be read."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            image.thumbnail((480, 600))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None  # a receipt without the photo beats no receipt for a sealed registration
    out.seek(0)
    return ImageReader(out)

"""The UIN letter: a one-page A4 PDF with the resident's name and UIN, the issue date, the center, and
a QR code holding the signed credential (:mod:`shared.uin_credential`), in the resident's language.

Rendering is pure (values in, PDF bytes out) and reproducible (``invariant``: no timestamps in the
file). Fonts are embedded and Arabic is shaped and ordered right to left the way the kiosk receipt does
it (:mod:`shared.pdf_text`); a right-to-left letter mirrors the layout (labels on the right margin).
The QR is drawn as vector squares (segno's matrix), so it stays sharp at any print resolution.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from shared.pdf_text import PdfFonts, pdf_fonts, reads_right_to_left, visual, wrap_lines, wrap_visual
from shared.uin_credential import group_uin, issue_credential, parse_credential
from sync_server.letters.names import resident_name
from sync_server.letters.words import LETTER_WORDS, RIGHT_TO_LEFT, VERIFY_COMMAND

_WIDTH, _HEIGHT = A4
_LEFT, _RIGHT = 20 * mm, _WIDTH - 20 * mm
_MIN_LABEL_COLUMN = 48 * mm  # from the start margin to where values begin (wider for long labels)
_LABEL_SIZE = 10
_ROW_LABELS = ("name", "uin", "issued_on", "center")
_QR_SIZE = 68 * mm
_QR_QUIET_MODULES = 4
_GREY = Color(0.35, 0.35, 0.35)


@dataclass(frozen=True)
class LetterContent:
    """Everything printed on a letter; ``credential`` is the signed QR text."""

    uin: str
    name: str
    issued_on: dt.date
    center_name: str
    language: str
    credential: str
    key_id: str


def build_letter(
    *,
    uin: str,
    demographics: Mapping[str, Any],
    language: str,
    center_name: str,
    signer: Ed25519PrivateKey,
    issued_on: dt.date,
) -> bytes:
    """PDF bytes of the UIN letter: the name from ``demographics`` in ``language`` (eng, fra or ara),
    signed into the QR with ``signer`` (the server's Ed25519 signing key). Raises ValueError for an
    unknown language, ``NoResidentName`` and ``shared.uin_credential.MalformedCredential``."""
    if language not in LETTER_WORDS:
        raise ValueError(f"no letter words for language {language!r}; use one of {sorted(LETTER_WORDS)}")
    name = resident_name(demographics, language=language)
    credential = issue_credential(signer, uin=uin, name=name, issued_at=issued_on)
    signed = parse_credential(credential)[0]  # the name exactly as signed (normalised)
    return render_letter(
        LetterContent(
            uin=signed.uin,
            name=signed.name,
            issued_on=issued_on,
            center_name=center_name,
            language=language,
            credential=credential,
            key_id=signed.kid,
        )
    )


def render_letter(content: LetterContent) -> bytes:
    """Draw ``content`` on one A4 page and return the PDF bytes."""
    fonts = pdf_fonts("OpenRegLetter")
    words = LETTER_WORDS[content.language]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer, pagesize=A4, pageCompression=1, invariant=1, initialFontName=fonts.regular, initialFontSize=11
    )
    pdf.setTitle("UIN letter")
    pdf.setAuthor("OpenReg")
    rtl = content.language in RIGHT_TO_LEFT
    widest_label = max(
        stringWidth(visual(words[key], rtl=rtl), fonts.bold, _LABEL_SIZE) for key in _ROW_LABELS
    )
    page = _Page(pdf, fonts, rtl=rtl, label_column=max(_MIN_LABEL_COLUMN, widest_label + 6 * mm))

    y = _HEIGHT - 28 * mm
    y = page.paragraph(words["title"], y, font=fonts.bold, size=20, leading=26)
    pdf.setLineWidth(0.8)
    pdf.line(_LEFT, y + 12, _RIGHT, y + 12)
    y = page.paragraph(words["intro"], y - 8, font=fonts.regular, size=11, leading=15) - 8 * mm
    values = {  # value, font, size, most lines (a long value is set smaller, then cut)
        "name": (content.name, fonts.bold, 14, 4),
        "uin": (group_uin(content.uin), fonts.bold, 24, 1),
        "issued_on": (content.issued_on.isoformat(), fonts.regular, 12, 1),
        "center": (content.center_name, fonts.regular, 12, 2),
    }
    for key in _ROW_LABELS:
        value, font, size, most = values[key]
        y = page.row(words[key], value, y, font=font, size=size, max_lines=most)

    qr_top = y - 4 * mm
    _draw_qr(pdf, content.credential, x=(_WIDTH - _QR_SIZE) / 2, top=qr_top, size=_QR_SIZE)
    pdf.setFont(fonts.regular, 9)
    pdf.setFillColor(_GREY)
    pdf.drawCentredString(_WIDTH / 2, qr_top - _QR_SIZE - 4 * mm, visual(words["qr_caption"], rtl=page.rtl))
    pdf.setFillColor(black)

    y = qr_top - _QR_SIZE - 14 * mm
    y = page.paragraph(words["verify_title"], y, font=fonts.bold, size=12, leading=16)
    y = page.paragraph(words["verify"], y, font=fonts.regular, size=10, leading=13.5) - 4
    page.start(VERIFY_COMMAND, y, font=fonts.bold, size=10)  # a command line reads left to right
    y -= 16
    page.start(visual(f"{words['key']} {content.key_id}", rtl=page.rtl), y, font=fonts.regular, size=9)

    pdf.setLineWidth(0.4)
    pdf.line(_LEFT, 22 * mm, _RIGHT, 22 * mm)
    pdf.setFillColor(_GREY)
    page.paragraph(words["footer"], 17 * mm, font=fonts.regular, size=8.5, leading=11)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class _Page:
    """Draws in the letter's direction: left-to-right text from the left margin, right-to-left text
    right-aligned on the right margin, and label/value rows mirrored to match."""

    def __init__(self, pdf: canvas.Canvas, fonts: PdfFonts, *, rtl: bool, label_column: float) -> None:
        self.pdf, self.fonts, self.rtl, self.label_column = pdf, fonts, rtl, label_column

    def start(self, shown: str, y: float, *, font: str, size: float, indent: float = 0) -> None:
        """Draw already-visual ``shown`` at the start edge (plus ``indent`` towards the end)."""
        self.pdf.setFont(font, size)
        if self.rtl:
            self.pdf.drawRightString(_RIGHT - indent, y, shown)
        else:
            self.pdf.drawString(_LEFT + indent, y, shown)

    def paragraph(self, text: str, y: float, *, font: str, size: float, leading: float) -> float:
        """``text`` wrapped to the margins, first baseline at ``y``; returns the next free baseline."""
        for line in wrap_visual(text, font=font, size=size, width=_RIGHT - _LEFT, rtl=self.rtl):
            self.start(line, y, font=font, size=size)
            y -= leading
        return y

    def row(self, label: str, value: str, y: float, *, font: str, size: float, max_lines: int) -> float:
        """A bold label at the start margin and ``value`` in the value column, wrapped to at most
        ``max_lines`` (smaller type first, down to 9 pt; then cut with "…"); returns the next row's
        baseline. The value keeps its own direction (a Latin name on an Arabic letter)."""
        width = _RIGHT - _LEFT - self.label_column
        rtl = reads_right_to_left(value)
        while True:
            lines = wrap_lines(value, font=font, size=size, width=width, rtl=rtl)
            if len(lines) <= max_lines or size <= 9:
                break
            size -= 1
        lines = _cut(lines, max_lines, font=font, size=size, width=width, rtl=rtl)
        leading = size * 1.3
        y -= max(size - 10, 0)  # a big value needs room above its baseline
        self.pdf.setFillColor(_GREY)
        self.start(visual(label, rtl=self.rtl), y, font=self.fonts.bold, size=_LABEL_SIZE)
        self.pdf.setFillColor(black)
        for i, line in enumerate(lines):
            self.start(visual(line, rtl=rtl), y - i * leading, font=font, size=size, indent=self.label_column)
        return y - (max(len(lines), 1) - 1) * leading - size * 0.3 - 9 * mm


def _cut(lines: list[str], most: int, *, font: str, size: float, width: float, rtl: bool) -> list[str]:
    """The first ``most`` logical lines, the last one ending in "…" if anything was left out."""
    if len(lines) <= most:
        return lines
    last = lines[most - 1] + "…"
    while len(last) > 1 and stringWidth(visual(last, rtl=rtl), font, size) > width:
        last = last[:-2] + "…"
    return [*lines[: most - 1], last]


def _draw_qr(pdf: canvas.Canvas, text: str, *, x: float, top: float, size: float) -> None:
    """The QR of ``text`` (error correction M or better) as one filled path of dark runs, quiet zone
    included in ``size``."""
    qr = segno.make_qr(text, error="m")
    count = qr.symbol_size(border=0)[0]
    module = size / (count + 2 * _QR_QUIET_MODULES)
    path = pdf.beginPath()
    for r, row in enumerate(qr.matrix):
        c = 0
        while c < count:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < count and row[c]:
                c += 1
            path.rect(
                x + (_QR_QUIET_MODULES + start) * module,
                top - (_QR_QUIET_MODULES + r + 1) * module,
                (c - start) * module,
                module,
            )
    pdf.setFillColor(black)
    pdf.drawPath(path, stroke=0, fill=1)

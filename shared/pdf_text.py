"""Text on generated PDFs (reportlab) in Latin, French and Arabic: embedded fonts and Arabic shaping.

Both the kiosk's receipt and the server's UIN letter need the same two things:

* TrueType fonts that cover Latin, French accents and Arabic, embedded in the PDF. Nothing is
  downloaded: they come from a system package (Debian ``fonts-dejavu-core``, installed by
  ``installers/system-deps.sh``), found at known paths or through fontconfig's ``fc-match``. A font
  that does not cover :data:`COVERAGE_PROBE` is refused, so a page never shows missing-glyph boxes.
* Arabic as drawn: reportlab draws glyphs in the order given and does not join letters, so Arabic is
  shaped (``arabic_reshaper``) and put in visual order (``python-bidi``) before drawing.

Registration with reportlab is process-wide; :func:`pdf_fonts` does it once per prefix. Two threads
racing on the first call both register the same files under the same names, which is harmless.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import arabic_reshaper
from bidi.algorithm import get_display  # the reference algorithm: it also mirrors brackets (L4)
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# Latin, French accents, Arabic letters (isolated and joined presentation forms, as reshaped) and digits.
COVERAGE_PROBE = "AZaz09ÉéèêëàâçîïôùûüœÀÇ" + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ﺍﺑﺒﺘﻤﻞ"
_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/local/share/fonts"))
_FAMILY = {
    "regular": ("DejaVuSans.ttf", "DejaVu Sans:style=Book"),
    "bold": ("DejaVuSans-Bold.ttf", "DejaVu Sans:style=Bold"),
}
_RTL_SCRIPT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_BREAKS = re.compile("[ \t\r\n]+")


class PdfFontMissing(RuntimeError):
    """No installed font covers Latin and Arabic; install ``fonts-dejavu-core``."""


@dataclass(frozen=True)
class PdfFonts:
    """reportlab names of the registered (embedded on use) fonts."""

    regular: str
    bold: str


def missing_glyphs(font_name: str, text: str) -> set[str]:
    """The characters of ``text`` (spaces aside) that the registered TrueType ``font_name`` cannot draw."""
    face = pdfmetrics.getFont(font_name).face
    return {c for c in text if not c.isspace() and ord(c) not in face.charToGlyph}


@functools.cache
def pdf_fonts(prefix: str = "OpenRegText") -> PdfFonts:
    """Find, check and register the fonts once per process under ``<prefix>-regular``/``-bold``
    (raises :class:`PdfFontMissing`)."""
    names = {}
    for style, (file_name, pattern) in _FAMILY.items():
        name = f"{prefix}-{style}"
        path = _find(file_name, pattern)
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError as exc:
            raise PdfFontMissing(f"the font {path} cannot be read: {exc}") from exc
        lacking = missing_glyphs(name, COVERAGE_PROBE)
        if lacking:
            raise PdfFontMissing(f"the font {path} lacks {''.join(sorted(lacking))!r}")
        names[style] = name
    return PdfFonts(**names)


def _find(file_name: str, pattern: str) -> Path:
    for folder in _DIRS:
        if (folder / file_name).is_file():
            return folder / file_name
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "--format=%{file}", pattern], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        if found.endswith(file_name) and Path(found).is_file():
            return Path(found)
    raise PdfFontMissing(f"no {file_name} (Latin and Arabic); install the Debian package fonts-dejavu-core")


def reads_right_to_left(text: str) -> bool:
    """Whether the first strongly directional character of ``text`` is right-to-left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in {"L", "R", "AL"}:
            return kind != "L"
    return False


def visual(text: str, *, rtl: bool = False) -> str:
    """``text`` as drawn left to right: Arabic joined and reordered; ``rtl`` sets the paragraph direction."""
    if not rtl and not _RTL_SCRIPT.search(text):
        return text
    return get_display(arabic_reshaper.reshape(text), base_dir="R" if rtl else "L")


def wrap_lines(text: str, *, font: str, size: float, width: float, rtl: bool) -> list[str]:
    """``text`` broken at ordinary spaces (not no-break spaces) into lines no wider than ``width`` when
    drawn (a single longer word gets a line of its own); the lines stay in logical order, for
    :func:`visual` one by one (so a line never starts with the end of the sentence)."""
    lines: list[str] = []
    current = ""
    for word in _BREAKS.split(text.strip(" \t\r\n")):
        candidate = f"{current} {word}" if current else word
        if current and pdfmetrics.stringWidth(visual(candidate, rtl=rtl), font, size) > width:
            lines.append(current)
            candidate = word
        current = candidate
    if current:
        lines.append(current)
    return lines


def wrap_visual(text: str, *, font: str, size: float, width: float, rtl: bool) -> list[str]:
    """:func:`wrap_lines`, each line in visual order, ready to draw."""
    return [visual(line, rtl=rtl) for line in wrap_lines(text, font=font, size=size, width=width, rtl=rtl)]

"""The TrueType fonts the receipt embeds: one family that covers Latin, French accents and Arabic.

Nothing is downloaded: the fonts come from a system package (Debian ``fonts-dejavu-core``, installed by
``installers/system-deps.sh``), found at known paths or, elsewhere, through fontconfig's ``fc-match``.
A font that does not cover :data:`COVERAGE_PROBE` is not used, so a receipt never shows missing-glyph
boxes; with no suitable font installed :func:`receipt_fonts` raises :class:`ReceiptFontMissing`.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# Latin, French accents, Arabic letters (isolated and joined presentation forms, as reshaped) and digits.
COVERAGE_PROBE = "AZaz09ÉéèêëàâçîïôùûüœÀÇ" + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ﺍﺑﺒﺘﻤﻞ"
_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/local/share/fonts"))
_FAMILY = {
    "regular": ("DejaVuSans.ttf", "DejaVu Sans:style=Book"),
    "bold": ("DejaVuSans-Bold.ttf", "DejaVu Sans:style=Bold"),
}


class ReceiptFontMissing(RuntimeError):
    """No installed font covers Latin and Arabic; install ``fonts-dejavu-core``."""


@dataclass(frozen=True)
class ReceiptFonts:
    """reportlab names of the registered (embedded on use) fonts."""

    regular: str
    bold: str


def missing_glyphs(font_name: str, text: str) -> set[str]:
    """The characters of ``text`` (spaces aside) that the registered TrueType ``font_name`` cannot draw."""
    face = pdfmetrics.getFont(font_name).face
    return {c for c in text if not c.isspace() and ord(c) not in face.charToGlyph}


@functools.cache
def receipt_fonts() -> ReceiptFonts:
    """Find, check and register the receipt fonts once per process (raises :class:`ReceiptFontMissing`)."""
    names = {}
    for style, (file_name, pattern) in _FAMILY.items():
        name = f"OpenRegReceipt-{style}"
        path = _find(file_name, pattern)
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError as exc:
            raise ReceiptFontMissing(f"the receipt font {path} cannot be read: {exc}") from exc
        lacking = missing_glyphs(name, COVERAGE_PROBE)
        if lacking:
            raise ReceiptFontMissing(f"the receipt font {path} lacks {''.join(sorted(lacking))!r}")
        names[style] = name
    return ReceiptFonts(**names)


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
    raise ReceiptFontMissing(
        f"no {file_name} for receipts (Latin and Arabic); install the Debian package fonts-dejavu-core"
    )

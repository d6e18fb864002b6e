"""The TrueType fonts the receipt embeds: one family that covers Latin, French accents and Arabic
(``shared.pdf_text``, which the server's UIN letter uses too), registered as ``OpenRegReceipt-*``.

Nothing is downloaded: the fonts come from a system package (Debian ``fonts-dejavu-core``, installed by
``installers/system-deps.sh``); with no suitable font installed :func:`receipt_fonts` raises
:class:`ReceiptFontMissing`.
"""

from __future__ import annotations

import functools

from shared.pdf_text import PdfFontMissing as ReceiptFontMissing
from shared.pdf_text import PdfFonts as ReceiptFonts
from shared.pdf_text import pdf_fonts

__all__ = ["ReceiptFontMissing", "ReceiptFonts", "receipt_fonts"]


@functools.cache
def receipt_fonts() -> ReceiptFonts:
    """Find, check and register the receipt fonts once per process (raises :class:`ReceiptFontMissing`)."""
    return pdf_fonts("OpenRegReceipt")

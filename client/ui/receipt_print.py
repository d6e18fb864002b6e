"""Show the core's receipt PDF in Qt's print preview (print or save as PDF from there or directly).

Qt for Python here has no QtPdf, so the PDF pages are rasterised once with poppler's ``pdftoppm``
(a system dependency) on the worker thread and painted page by page onto the printer. The PDF comes
from the encrypted store as bytes and is piped in: it is never written to disk in clear for printing
(the page images live only in a private temporary folder for the moment pdftoppm takes).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget


def rasterise_pdf(pdf: bytes, *, dpi: int = 150) -> list[bytes]:
    """PNG bytes of each page of ``pdf`` (worker thread)."""
    if not shutil.which("pdftoppm"):
        raise RuntimeError("pdftoppm (poppler-utils) is needed to preview receipts")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-", f"{tmp}/page"],
            input=pdf,
            check=True,
            capture_output=True,
            timeout=60,
        )
        return [p.read_bytes() for p in sorted(Path(tmp).glob("page*.png"))]


def paint_pages(printer: QPrinter, pages: list[bytes]) -> None:
    painter = QPainter(printer)
    try:
        for index, data in enumerate(pages):
            if index:
                printer.newPage()
            image = QImage.fromData(data)
            area = painter.viewport()
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRectF(0, 0, size.width(), size.height()), image)
    finally:
        painter.end()


def preview_dialog(pages: list[bytes], parent=None) -> QPrintPreviewDialog:
    """A print preview over the receipt, opening at page width (readable on a kiosk screen); its toolbar
    prints (or prints to PDF via the printer dialog)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("receipt_preview")
    dialog.paintRequested.connect(lambda p: paint_pages(p, pages))
    dialog._printer = printer  # keep alive with the dialog
    fit_width = dialog.findChild(QAction, "fitWidthAction")
    if fit_width is not None:  # the toolbar's own action, so its checked button matches the zoom
        fit_width.trigger()
    else:
        dialog.findChild(QPrintPreviewWidget).fitToWidth()
    return dialog

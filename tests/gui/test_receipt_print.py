"""Receipt print path: the core's PDF is rasterised and painted by the print preview onto a printer."""

from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget
from reportlab.pdfgen import canvas

from client.ui import receipt_print


def test_pdf_pages_paint_onto_a_printer(qtbot, tmp_path):
    pdf = tmp_path / "receipt.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(72, 720, "Acknowledgement 10001-10042-00001")
    c.showPage()
    c.drawString(72, 720, "page two")
    c.save()
    pages = receipt_print.rasterise_pdf(pdf.read_bytes(), dpi=50)
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG") for p in pages)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    receipt_print.paint_pages(printer, pages)
    assert printed.read_bytes().startswith(b"%PDF") and printed.stat().st_size > 1000
    dialog = receipt_print.preview_dialog(pages)
    qtbot.addWidget(dialog)
    assert dialog.objectName() == "receipt_preview"
    zoom = dialog.findChild(QPrintPreviewWidget).zoomMode()
    assert zoom == QPrintPreviewWidget.ZoomMode.FitToWidth  # opens at page width

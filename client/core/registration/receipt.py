"""The acknowledgement receipt: a one-page PDF with the RID as text and as a QR code.

Rendering is pure (bytes in, bytes out); the bytes are kept only inside the encrypted store
(:mod:`client.core.registration.receipts`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas


@dataclass(frozen=True)
class ReceiptData:
    rid: str
    full_name: str
    center_id: str
    center_name: str
    created_at: datetime
    modalities: list[str]
    exceptions: list[str]
    operator_id: str


def render_receipt(data: ReceiptData) -> bytes:
    """PDF bytes of the receipt (A4). The QR carries exactly the RID so scanners can look it up."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Registration receipt {data.rid}")
    _width, height = A4
    y = height - 30 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(20 * mm, y, "Registration acknowledgement")
    pdf.setFont("Helvetica", 11)
    lines = [
        ("Registration ID (RID)", data.rid),
        ("Name", data.full_name),
        ("Center", f"{data.center_name} ({data.center_id})"),
        ("Registered at (UTC)", data.created_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("Biometrics captured", ", ".join(data.modalities) or "none"),
        ("Exceptions", ", ".join(data.exceptions) or "none"),
        ("Officer", data.operator_id),
    ]
    y -= 15 * mm
    for label, value in lines:
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(70 * mm, y, value[:90])
        y -= 8 * mm
    size = 60 * mm
    widget = QrCodeWidget(data.rid, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, 20 * mm, y - size - 5 * mm)
    pdf.setFont("Courier-Bold", 14)
    pdf.drawString(20 * mm, y - size - 12 * mm, data.rid)
    pdf.setFont("Helvetica", 9)
    pdf.drawString(20 * mm, 15 * mm, "Keep this receipt. Quote the RID to follow your registration.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

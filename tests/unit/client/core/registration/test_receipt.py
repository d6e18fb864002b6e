"""The receipt PDF carries the RID as text and as a QR that zbar decodes back to the RID."""

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from client.core.registration.receipt import ReceiptData, render_receipt

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

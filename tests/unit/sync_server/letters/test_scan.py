"""Reading a credential back from a file (PDF, image, text) and the trusted-key files: real pdftoppm,
real zxing-cpp, real images; every bad input a LetterReadError / TrustedKeyError with a clear message."""

import io
import shutil

import pytest
import segno
from PIL import Image

from shared.signing import generate_private_key, key_id, private_key_to_bytes, public_key_b64
from sync_server.letters.scan import MAX_TEXT_FILE_BYTES, LetterReadError, credential_text_from_file
from sync_server.letters.trusted_keys import (
    TrustedKeyError,
    key_from_server_dir,
    keys_from_file,
    public_key_file_text,
)

CREDENTIAL = "OR1:eyJ4IjoxfQ." + "A" * 86


def qr_png(*texts: str) -> bytes:
    """The QR codes of ``texts`` side by side on one white image."""
    images = []
    for text in texts:
        out = io.BytesIO()
        segno.make_qr(text, error="m").save(out, kind="png", scale=4, border=4)
        images.append(Image.open(io.BytesIO(out.getvalue())).convert("L"))
    sheet = Image.new("L", (sum(i.width for i in images) + 40, max(i.height for i in images) + 40), 255)
    x = 20
    for image in images:
        sheet.paste(image, (x, 20))
        x += image.width
    out = io.BytesIO()
    sheet.save(out, "PNG")
    return out.getvalue()


def test_a_text_file_holds_the_credential(tmp_path):
    path = tmp_path / "credential.txt"
    path.write_text(f"\n{CREDENTIAL}\n")
    assert credential_text_from_file(path) == CREDENTIAL
    path.write_bytes(b"x" * (MAX_TEXT_FILE_BYTES + 1))
    with pytest.raises(LetterReadError, match="too large for a credential text file"):
        credential_text_from_file(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LetterReadError, match="neither a PDF, an image nor a UTF-8 text file"):
        credential_text_from_file(path)


def test_the_openreg_qr_is_picked_among_several(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(qr_png("https://example.org/other", CREDENTIAL))
    assert credential_text_from_file(path) == CREDENTIAL
    path.write_bytes(
        qr_png("https://example.org/other")
    )  # only a foreign QR: returned, the parser refuses it
    assert credential_text_from_file(path) == "https://example.org/other"


def test_no_qr_damaged_and_oversized_images_are_refused(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    with pytest.raises(LetterReadError, match="no QR code found"):
        credential_text_from_file(blank)
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(blank.read_bytes()[:60])
    with pytest.raises(LetterReadError, match="damaged image|not an image"):
        credential_text_from_file(damaged)
    huge = tmp_path / "huge.png"
    Image.new("1", (9000, 9000), 1).save(huge)  # a few KB on disk, 81 megapixels decoded
    with pytest.raises(LetterReadError, match="too large an image"):
        credential_text_from_file(huge)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_broken_pdf_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(b"%PDF-1.4\n%garbage that is not a PDF\n")
    with pytest.raises(LetterReadError, match="not a readable PDF"):
        credential_text_from_file(path)


def test_key_files(tmp_path):
    key = generate_private_key()
    path = tmp_path / "server-key.pub"
    path.write_text(public_key_file_text(key.public_key()))
    assert path.read_text().startswith(f"# OpenReg server signing key, key id {key_id(key)}")
    assert [key_id(k) for k in keys_from_file(path)] == [key_id(key)]
    path.write_text(f"# two keys\n\n{public_key_b64(key)}\nnot-a-key\n")
    with pytest.raises(TrustedKeyError, match="line 4"):
        keys_from_file(path)
    path.write_text("# nothing\n")
    with pytest.raises(TrustedKeyError, match="holds no public key"):
        keys_from_file(path)
    path.write_text("A" * 70_000)
    with pytest.raises(TrustedKeyError, match="too large"):
        keys_from_file(path)


def test_the_server_key_folder(tmp_path):
    key = generate_private_key()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "signing-key.ed25519").write_bytes(private_key_to_bytes(key))
    assert key_id(key_from_server_dir(tmp_path)) == key_id(key)  # the data folder
    assert key_id(key_from_server_dir(tmp_path / "keys")) == key_id(key)  # or its key folder
    (tmp_path / "keys" / "signing-key.ed25519").write_bytes(b"short")
    with pytest.raises(TrustedKeyError, match="not a 32-byte"):
        key_from_server_dir(tmp_path)
    with pytest.raises(TrustedKeyError, match="no signing-key.ed25519"):
        key_from_server_dir(tmp_path / "elsewhere")

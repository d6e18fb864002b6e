"""Read the credential text back from a letter: the PDF itself, a photo or scan of it, or a text file.

A PDF's first page is rasterised with poppler's ``pdftoppm`` (``poppler-utils``, installed by
``installers/system-deps.sh``) into a private temporary folder; images are decoded with Pillow; the QR
is found with zxing-cpp (any rotation, also small in a large photo). Every input is bounded before it
is read: file size, pixel count, time for pdftoppm. Blocking; call it off any UI thread.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.uin_credential import MAX_CREDENTIAL_CHARS, PREFIX

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_TEXT_FILE_BYTES = 4096
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; larger is refused before it is decoded
PDF_DPI = 200  # about 7 pixels per QR module on the printed letter: plenty, and quick
PDFTOPPM_SECONDS = 60
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"RIFF", b"BM", b"GIF8")


class LetterReadError(ValueError):
    """The file could not be read, or holds no QR code; the message says which."""


def credential_text_from_file(path: Path) -> str:
    """The credential text in ``path``: the QR on a PDF's first page or in an image (the OpenReg one if
    there are several), or the text of a small text file. Raises :class:`LetterReadError`."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise LetterReadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size > MAX_FILE_BYTES:
        raise LetterReadError(f"{path} is too large ({size} bytes; at most {MAX_FILE_BYTES})")
    if head.startswith(b"%PDF-"):
        return _qr_text(_pdf_first_page(path), path)
    if head.startswith(_IMAGE_MAGIC):
        return _qr_text(_open_image(path), path)
    return _text_file(path, size)


def _text_file(path: Path, size: int) -> str:
    if size > MAX_TEXT_FILE_BYTES:
        raise LetterReadError(
            f"{path} is neither a PDF nor an image, and too large for a credential text file"
        )
    try:
        return path.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise LetterReadError(f"{path} is neither a PDF, an image nor a UTF-8 text file") from exc


def _pdf_first_page(path: Path) -> Image.Image:
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise LetterReadError("reading a PDF needs pdftoppm: install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="openreg-letter-") as folder:
        out = Path(folder) / "page"
        try:
            # "--" so a file name starting with "-" is never taken for an option
            subprocess.run(
                [
                    tool,
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-r",
                    str(PDF_DPI),
                    "-gray",
                    "-png",
                    "-singlefile",
                    "--",
                    str(path),
                    str(out),
                ],
                capture_output=True,
                timeout=PDFTOPPM_SECONDS,
                check=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise LetterReadError(f"{path}: rendering the PDF took over {PDFTOPPM_SECONDS} s") from exc
        except subprocess.CalledProcessError as exc:
            reason = exc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unreadable"]
            raise LetterReadError(f"{path} is not a readable PDF ({reason[0]})") from exc
        return _open_image(out.with_suffix(".png"))


def _open_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise LetterReadError(f"{path} is too large an image ({width}x{height} pixels)")
            # the photo as the camera held it, in grey: what the QR finder works on
            return ImageOps.exif_transpose(image).convert("L")
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise LetterReadError(f"{path} is not an image that can be read") from exc
    except OSError as exc:
        raise LetterReadError(f"{path} is a damaged image: {exc}") from exc


def _qr_text(image: Image.Image, path: Path) -> str:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    # longer than a credential cannot be one: keep one character more so the parser says "too long"
    texts = [bytes(b.bytes)[: MAX_CREDENTIAL_CHARS + 1].decode("utf-8", "replace") for b in found]
    if not texts:
        raise LetterReadError(f"no QR code found in {path}")
    ours = [t for t in texts if t.startswith(PREFIX)]
    return (ours or texts)[0]

"""Scanning a document into the registration: the documents page's port to the SANE scanners.

A scanned document is stored as ONE PDF, whatever its page count: the packet holds one file per
document (``shared.packet`` Document), PDF is what the file picker already accepts, every viewer and
the server's console open it, and it keeps each page's physical size (from the scan resolution). The
pages go in as the scanner's JPEGs, unchanged (reportlab embeds JPEG as it is, no re-encoding).
"Add page" appends to the document being captured; all pages or nothing: a failed scan leaves the
document as it was.

Thread rules: :meth:`DocumentScanning.scanners` never blocks (latest discovery). ``scan_defaults``
reads the store (the store lane); ``capabilities``, ``preview`` and ``scan`` wait for the scanner (the
devices lane). Every libsane call runs in device_drivers' SANE host process.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from client.core.capture import NoDevice, is_scanner
from device_drivers.base import DeviceStatus, DeviceTimeoutError
from device_drivers.sane.settings import (
    CONFIG_KEY,
    MAX_PAGES,
    ScanSettings,
    ScanSettingsError,
    settings_from_config,
)

if TYPE_CHECKING:
    from client.core.capture import DeviceCapture
    from client.core.master_data import MasterData

PDF = "application/pdf"
MAX_DOCUMENT_BYTES = 48 * 1024 * 1024  # under the packet reader's 64 MiB entry limit
PAGE_TIMEOUT_S = 90.0  # a real feeder at 600 dpi takes tens of seconds a sheet


class DocumentTooLarge(ValueError):
    """The scanned pages would make a document over the size or page limit (nothing was changed)."""

    device_error = "too_large"


@dataclass(frozen=True)
class ScannerChoice:
    """A scanner the officer can pick: its key, a name, and whether it may be used now."""

    key: str
    name: str
    ready: bool


@dataclass(frozen=True)
class ScanDefaults:
    """The settings master data asks for; ``problem`` says why the built-in ones are used instead."""

    settings: ScanSettings
    problem: str = ""


@dataclass(frozen=True)
class ScannedDocument:
    """The document file (``data``, a PDF) and its pages as scanned (JPEG), first page first."""

    data: bytes
    pages: tuple[Any, ...]  # device_drivers.sane.ScannedPage
    content_type: str = PDF

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def first_page(self) -> bytes:
        return self.pages[0].jpeg


def scan_defaults(master_data: MasterData) -> ScanDefaults:
    """The scan settings of config ``devices.document_scanner`` (store read: a worker)."""
    try:
        return ScanDefaults(settings_from_config(master_data.config(CONFIG_KEY)))
    except (ScanSettingsError, TypeError) as exc:
        return ScanDefaults(ScanSettings(), problem=str(exc))


def assemble_pdf(pages: list[Any] | tuple[Any, ...]) -> bytes:
    """One PDF page per scanned page, each at its physical size (pixels / dpi), JPEG embedded as is."""
    from reportlab.pdfgen.canvas import Canvas

    if not pages:
        raise ValueError("a document needs at least one page")
    if len(pages) > MAX_PAGES:
        raise DocumentTooLarge(f"{len(pages)} pages, over the limit of {MAX_PAGES}")
    if sum(len(p.jpeg) for p in pages) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"the pages are over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB together")
    from reportlab import rl_config

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=True, pageCompression=0)
    # Binary streams, not ASCII85 (a quarter larger and slow in pure Python); read when each image is
    # drawn. A receipt drawn meanwhile on another thread would only get binary streams too: still valid.
    ascii85, rl_config.useA85 = rl_config.useA85, 0
    canvas.setTitle("Scanned document")
    canvas.setCreator("OpenReg kiosk (SANE scanner)")
    try:
        for page in pages:
            size = (page.width * 72.0 / page.dpi, page.height * 72.0 / page.dpi)
            canvas.setPageSize(size)
            canvas.drawImage(_jpeg_reader(page.jpeg), 0, 0, width=size[0], height=size[1])
            canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = ascii85
    data = buffer.getvalue()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"the document would be {len(data)} bytes, over the limit")
    return data


def _jpeg_reader(jpeg: bytes) -> Any:
    """A reportlab ImageReader that embeds ``jpeg`` as it is (DCTDecode, no re-encoding). reportlab
    already passes a JPEG through; it only decodes every pixel to name the image, so the name is taken
    from the JPEG bytes instead (tests/unit/client/test_document_scan.py checks the bytes are embedded)."""
    from reportlab.lib.utils import ImageReader

    class JpegAsIs(ImageReader):
        _dataA = None

        def getRGBData(self) -> bytes:  # only drawImage's de-duplicating name reads it for a JPEG
            return jpeg

    return JpegAsIs(io.BytesIO(jpeg))


class DocumentScanning:
    """The scanners of the kiosk's capture port (client.core.capture.DeviceCapture)."""

    def __init__(self, capture: DeviceCapture) -> None:
        self.capture = capture

    def scanners(self) -> list[ScannerChoice]:
        """The scanners master data allows, ready ones first (never blocks)."""
        found = []
        for state in self.capture.device_states():
            if state.key.startswith("sane:") and state.status != DeviceStatus.NOT_ALLOWED:
                found.append(ScannerChoice(state.key, state.name or state.key, state.status == "ready"))
        return sorted(found, key=lambda c: not c.ready)

    def _scanner(self, key: str) -> Any:
        managed = self.capture.device_with_key(key)
        if not is_scanner(managed.info_at_discovery):
            raise NoDevice(f"{key} is not a document scanner", device_error="missing", modality="document")
        return managed

    def capabilities(self, key: str) -> tuple[str, ...]:
        """The sources ("flatbed", "adf") the scanner has (opens it: a worker)."""
        managed = self._scanner(key)
        return managed.thread.submit(managed.device.capabilities).result(PAGE_TIMEOUT_S).sources

    def preview(self, key: str, settings: ScanSettings) -> bytes:
        """The low-resolution pass of the flatbed, as JPEG (a worker)."""
        managed = self._scanner(key)
        return self._wait(managed, managed.thread.submit(managed.device.preview, settings), 1).jpeg

    def scan(
        self, key: str, settings: ScanSettings, *, append_to: ScannedDocument | None = None
    ) -> ScannedDocument:
        """Scan (the flatbed: one page; the feeder: every sheet up to the limit) into a new document, or
        after the pages of ``append_to``. Raises the scanner's typed errors; nothing is kept then."""
        before = tuple(append_to.pages) if append_to is not None else ()
        room = MAX_PAGES - len(before)
        if room < 1:
            raise DocumentTooLarge(f"the document already has {len(before)} pages, the limit")
        managed = self._scanner(key)
        wanted = min(room, settings.max_pages)
        work = managed.thread.submit(managed.device.scan, settings, pages=wanted)
        pages = before + tuple(self._wait(managed, work, wanted))
        return ScannedDocument(assemble_pdf(pages), pages)

    @staticmethod
    def _wait(managed: Any, work: Any, pages: int) -> Any:
        try:
            return work.result(PAGE_TIMEOUT_S * max(1, pages))
        except TimeoutError as exc:
            managed.device.unplugged()  # cancels the blocked read; the scan ends with an error
            raise DeviceTimeoutError("the scanner did not finish in time") from exc

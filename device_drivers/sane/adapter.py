"""The SANE document scanner behind ``device_drivers.base.DocumentDevice`` (as the document camera is).

``capture_document()`` scans one page at the default settings; ``preview()`` is the low-resolution pass
on the flatbed; ``scan(settings)`` scans one page from the flatbed or every sheet in the feeder (up to
``max_pages``). Pages come back as JPEG (:class:`ScannedPage`); turning several into one document file
is the client core's business. Every libsane call runs on the SANE thread (backend.py); this object's
methods may be called from any thread and block until the scanner is done.

An unplugged scanner fails the scan in progress with ``ScannerUnpluggedError`` (libsane's I/O error,
or :meth:`SaneScanner.unplugged` called by the hot-plug monitor cancels the blocked read); the handle
is dropped, so the scanner works again when it is plugged back, without restarting the kiosk.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from device_drivers.base import (
    CaptureResult,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    Modality,
    PreviewFrame,
)
from device_drivers.sane import reader_threads
from device_drivers.sane.backend import SaneBackend, SaneDeviceEntry, SaneHandle, keep_sigpipe_ignored
from device_drivers.sane.errors import (
    NoPaperError,
    PreviewNotAvailableError,
    SaneError,
    ScanFailedError,
    SourceNotAvailableError,
    error_for,
    status_of,
)
from device_drivers.sane.options import apply_settings, source_values
from device_drivers.sane.settings import ScanSettings

MAX_PAGE_PIXELS = 60_000_000  # A4 at 1200 dpi is 140 MP: refused before a byte is read


@dataclass(frozen=True)
class ScannedPage:
    """One scanned page: JPEG bytes, its size in pixels and the resolution it was scanned at."""

    jpeg: bytes
    width: int
    height: int
    dpi: int
    mode: str


@dataclass(frozen=True)
class ScannerCapabilities:
    """What the scanner offers: sources ("flatbed", "adf"), colour modes and resolution bounds."""

    sources: tuple[str, ...]
    modes: tuple[str, ...]
    min_dpi: int
    max_dpi: int


class SaneScanner:
    """One SANE scanner (``key`` "sane:<device name>"); ``settings`` gives the current defaults."""

    modality = Modality.DOCUMENT

    def __init__(
        self,
        backend: SaneBackend,
        entry: SaneDeviceEntry,
        *,
        settings: Callable[[], ScanSettings] = ScanSettings,
        model_id: str = "",
    ) -> None:
        self.backend, self.entry, self.model_id = backend, entry, model_id
        self.key = f"sane:{entry.name}"
        self._settings = settings
        self._unplugged = threading.Event()
        self._capabilities: ScannerCapabilities | None = None

    @property
    def identity(self) -> DeviceIdentity:
        return DeviceIdentity(
            make=self.entry.vendor,
            model=self.entry.model,
            serial=self.entry.name,
            certification="none (SANE document scanner)",
            device_id=self.model_id or self.entry.name,
        )

    # -- status ------------------------------------------------------------------------------------
    def info(self) -> DeviceInfo:
        """Opens the scanner (that proves it answers) and reads what it offers."""
        self.capabilities()
        return DeviceInfo(self.key, self.modality, self.identity, DeviceStatus.READY, detail=self.entry.kind)

    def capabilities(self) -> ScannerCapabilities:
        if self._capabilities is None:
            self._capabilities = self._with_handle("reading the scanner's options", _capabilities_of)
        return self._capabilities

    def unplugged(self) -> None:
        """The hot-plug monitor saw this scanner leave (any thread): a scan in progress ends now with
        ScannerUnpluggedError, and the handle is dropped."""
        self._unplugged.set()
        handle = self.backend.handle_if_open(self.entry.name)
        if handle is not None:
            handle.cancel_from_any_thread()

    # -- DocumentDevice ----------------------------------------------------------------------------
    def stream(self, *, sub_id: int = 0, timeout_s: float = 30.0) -> Iterator[PreviewFrame]:
        """A scanner has no live picture: one frame, the preview pass."""
        page = self.preview()
        yield PreviewFrame(jpeg=page.jpeg, image=None, timestamp=time.monotonic())

    def capture_document(self) -> CaptureResult:
        """One page at the default settings, as a JPEG document."""
        started = time.monotonic()
        [page] = self.scan(self._settings(), pages=1)
        return CaptureResult(
            modality=Modality.DOCUMENT,
            bio_subtype="",
            iso_record=page.jpeg,
            image_format="jpeg",
            quality=100,
            identity=self.identity,
            captured_at=datetime.now(UTC).isoformat(),
            duration_s=time.monotonic() - started,
            extra={"dpi": str(page.dpi), "pages": "1"},
        )

    # -- scanning ----------------------------------------------------------------------------------
    def preview(self, settings: ScanSettings | None = None) -> ScannedPage:
        """The low-resolution pass of the flatbed (the officer checks placement before the real scan)."""
        base = settings or self._settings()
        if "flatbed" not in self.capabilities().sources:
            raise PreviewNotAvailableError("this scanner has no flatbed to preview")
        [page] = self.scan(base.for_preview(), pages=1)
        return page

    def scan(
        self,
        settings: ScanSettings,
        *,
        pages: int | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> list[ScannedPage]:
        """Scan at ``settings``: the flatbed gives one page; the feeder gives each sheet until it is
        empty, at most ``pages`` (default ``settings.max_pages``). ``on_page(n)`` is called on the SANE
        thread after page n. All pages or an error: a failure on any page returns nothing."""
        if settings.source not in self.capabilities().sources:
            raise SourceNotAvailableError(f"this scanner has no {settings.source} source")
        wanted = pages_wanted(settings, pages)
        self._unplugged.clear()

        def scanning(handle: SaneHandle) -> list[ScannedPage]:
            dpi = apply_settings(handle.device, settings)
            found: list[ScannedPage] = []
            before = reader_threads.thread_ids()
            try:
                while len(found) < wanted:
                    page = self._one_page(handle, settings, dpi, number=len(found) + 1)
                    if page is None:
                        break  # the feeder is empty after at least one sheet
                    found.append(page)
                    if on_page is not None:
                        on_page(len(found))
            finally:  # end the batch (the feeder stops pulling sheets), once the readers are at rest
                reader_threads.wait_until_parked(reader_threads.started_since(before))
                handle.cancel_from_any_thread()
            return found

        return self._with_handle(f"scanning with {self.entry.name}", scanning)

    def _one_page(
        self, handle: SaneHandle, settings: ScanSettings, dpi: int, *, number: int
    ) -> ScannedPage | None:
        try:
            return self._read_page(handle, settings, dpi, number=number)
        finally:
            keep_sigpipe_ignored()  # the backend's reader may have reset it (see device_drivers.sane.backend)

    def _read_page(
        self, handle: SaneHandle, settings: ScanSettings, dpi: int, *, number: int
    ) -> ScannedPage | None:
        feeder = settings.source == "adf"
        try:
            handle.device.start()
        except Exception as exc:
            if feeder and number > 1 and status_of(exc) == "SANE_STATUS_NO_DOCS":
                return None
            raise self._error(exc, f"starting page {number}") from exc
        try:
            _format, _last, (width, lines), _depth, _bpl = handle.device.get_parameters()
            if width <= 0 or width * max(lines, 1) > MAX_PAGE_PIXELS:
                raise ScanFailedError(f"page {number} would be {width}x{lines} pixels, over the limit")
            image = handle.device.snap(True)  # no cancel here: the batch's end cancels (see scan)
        except SaneError:
            raise
        except Exception as exc:
            if feeder and number > 1 and status_of(exc) == "SANE_STATUS_NO_DOCS":
                return None
            if isinstance(exc, RuntimeError) and not status_of(exc):  # python-sane: "no data"
                exc = ScanFailedError(f"page {number}: {exc}")
            raise self._error(exc, f"reading page {number}") from exc
        if self._unplugged.is_set():
            raise self._error(RuntimeError("unplugged"), f"reading page {number}")
        return _encode(image, settings, dpi)

    def _error(self, exc: BaseException, during: str) -> SaneError:
        if isinstance(exc, SaneError) and not self._unplugged.is_set():
            return exc
        return error_for(exc, during=during, unplugged=self._unplugged.is_set())

    def _with_handle(self, during: str, work: Callable[[SaneHandle], Any]) -> Any:
        """Run ``work(handle)`` on the SANE thread; any failure drops the handle so the next use reopens
        (the scanner may have been unplugged and plugged back under the same name)."""

        def run() -> Any:
            handle = self.backend.open(self.entry.name)
            try:
                return work(handle)
            except NoPaperError:
                raise  # the scanner itself is fine: keep it open
            except SaneError:
                self.backend.forget(self.entry.name)
                raise
            except Exception as exc:
                self.backend.forget(self.entry.name)
                raise self._error(exc, during) from exc

        return self.backend.call(run)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # the backend closed first: it closed every handle
            self.backend.forget(self.entry.name)


def pages_wanted(settings: ScanSettings, pages: int | None) -> int:
    """The most pages a scan takes: one from the flatbed; from the feeder ``pages``, else (and at most)
    ``settings.max_pages``."""
    return 1 if settings.source == "flatbed" else min(pages or settings.max_pages, settings.max_pages)


def _capabilities_of(handle: SaneHandle) -> ScannerCapabilities:
    device = handle.device
    sources = tuple(source_values(device)) or ("flatbed",)
    modes: list[str] = []
    option = device.opt.get("mode")
    if option is not None and isinstance(option.constraint, list):
        words = " ".join(str(v).lower() for v in option.constraint)
        modes = [m for m, keys in (("color", "colo"), ("gray", "gr"), ("lineart", "line")) if keys in words]
    low, high = 75, 600
    option = device.opt.get("resolution")
    if option is not None and option.constraint:
        values = option.constraint
        low, high = (values[0], values[1]) if isinstance(values, tuple) else (min(values), max(values))
    return ScannerCapabilities(tuple(sources), tuple(modes) or ("color",), int(low), int(high))


def _encode(image: Any, settings: ScanSettings, dpi: int) -> ScannedPage:
    """A PIL image from python-sane as JPEG, tagged with the resolution it was scanned at."""
    if image.mode not in ("RGB", "L"):
        image = image.convert("L" if settings.mode != "color" else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=settings.jpeg_quality, dpi=(dpi, dpi), optimize=True)
    return ScannedPage(buffer.getvalue(), image.width, image.height, dpi, settings.mode)

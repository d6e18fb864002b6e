"""The documents page's scanner panel: which scanner, where the paper is, the preview, and the actions.

    Scanner → Proof of identity
    [scanner list ▾]  [Glass (flatbed) ▾]
    +--------------------------------+
    |   preview / first scanned page |   (a fixed frame: a picture never moves the page)
    +--------------------------------+
    3 page(s) in this document           (a line kept for it)
    message                              (three lines kept for it)
    [Preview] [Scan (F5)] [Add page]

Scanners come and go (hot-plug): the list follows the capture port's device version every half second,
without blocking. Preview and Scan run on the operations' "devices" lane (they never touch the store);
the settings are master data's (read once on the store lane). The page decides what a scan becomes
(:attr:`ScannerPanel.scanned`). UI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from client.core.document_scan import DocumentScanning, ScanDefaults, ScannedDocument, scan_defaults
from client.ui.error_text import error_text
from client.ui.i18n import tr
from client.ui.widgets import button, error_label, wheel_only_when_focused

SOURCES = ("flatbed", "adf")


class ScanView(QLabel):
    """The preview frame: shows a JPEG scaled into its fixed room, or a line of text."""

    def __init__(self, size: tuple[int, int] = (280, 210)) -> None:
        super().__init__(objectName="scan_view", alignment=Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(*size)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFrameShape(QFrame.Shape.Box)
        self.setWordWrap(True)
        self.setStyleSheet("background: #20262e; color: #e8ecf0;")
        self.image: QImage | None = None
        self.jpeg: bytes | None = None  # what is shown, so a failed scan can show it again

    def sizeHint(self) -> QSize:  # a picture must never grow the layout
        return self.minimumSize()

    def show_jpeg(self, data: bytes) -> None:
        image = QImage.fromData(data)
        if image.isNull():
            return
        self.image, self.jpeg = image, data
        self.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.contentsRect().size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def show_words(self, text: str) -> None:
        self.image, self.jpeg = None, None
        self.clear()
        self.setText(text)


class ScannerPanel(QWidget):
    """Widgets plus the scanner calls; ``on_scanned(document, appended)`` is called after a scan."""

    def __init__(self, ctx: Any, scanning: DocumentScanning, *, language: str) -> None:
        super().__init__(objectName="scanner_panel")
        self.ctx, self.scanning, self.language = ctx, scanning, language
        self.defaults: ScanDefaults | None = None
        self.busy = False
        self.on_scanned: Callable[[ScannedDocument, bool], None] = lambda _d, _a: None
        self._sources: dict[str, tuple[str, ...]] = {}
        self._version: int | None = None
        self._state = "waiting"  # what the view says while it shows no picture
        self._error: Exception | None = None
        self._before: bytes | None = None
        self.target_label = QLabel(objectName="scan_target", wordWrap=True)
        self.target_label.setProperty("role", "second")
        self.device_box = wheel_only_when_focused(QComboBox(objectName="scan_device"))
        self.source_box = wheel_only_when_focused(QComboBox(objectName="scan_source"))
        self.view = ScanView()
        self.note = QLabel("\u00a0", objectName="scan_note")
        self.error = error_label("scan_error")
        self.preview_button = button("", "scan_preview", secondary=True)
        self.scan_button = button("", "scan_scan")
        self.add_button = button("", "scan_add_page", secondary=True)
        for box in (self.device_box, self.source_box):
            # a long scanner or source name is cut short rather than widening the page past a
            # 1024-pixel screen (the whole name shows when the list opens)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
            box.currentTextChanged.connect(box.setToolTip)
        choices = QHBoxLayout()
        choices.addWidget(self.device_box, 1)
        choices.addWidget(self.source_box, 1)
        actions = QHBoxLayout()
        for action in (self.preview_button, self.scan_button, self.add_button):
            actions.addWidget(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.target_label)
        layout.addLayout(choices)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.preview_button.clicked.connect(self.preview)
        self.device_box.currentIndexChanged.connect(lambda _i: self._device_chosen())
        self._chosen_source: str | None = None  # the officer's choice; else master data's default
        self.source_box.currentIndexChanged.connect(
            lambda _i: setattr(self, "_chosen_source", self.source_box.currentData())
        )
        self._timer = QTimer(self, interval=500, timeout=self.follow_devices)
        ctx.ops.run(lambda: scan_defaults(ctx.master_data), on_done=self._got_defaults)
        self.follow_devices()

    # -- devices come and go --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._timer.start()
        self.follow_devices()

    def hideEvent(self, event) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def follow_devices(self) -> None:
        """Redraw the scanner list when the capture port saw a plug, unplug or status change."""
        version = getattr(self.ctx.devices, "version", 0)
        if version == self._version:
            return
        self._version = version
        chosen = self.device_box.currentData()
        choices = self.scanning.scanners()
        self.device_box.blockSignals(True)
        self.device_box.clear()
        for choice in choices:
            self.device_box.addItem(choice.name, choice.key)
        keys = [c.key for c in choices]
        self.device_box.setCurrentIndex(keys.index(chosen) if chosen in keys else (0 if keys else -1))
        self.device_box.blockSignals(False)
        self._device_chosen()

    def _device_chosen(self) -> None:
        key = self.device_box.currentData()
        if key and key not in self._sources:
            self.ctx.ops.run(
                lambda: self.scanning.capabilities(key),
                on_done=lambda sources: self._got_sources(key, sources),
                on_error=self._failed,
                lane="devices",
            )
        self._fill_sources()
        self.refresh_state()

    def _got_sources(self, key: str, sources: tuple[str, ...]) -> None:
        self._sources[key] = tuple(s for s in SOURCES if s in sources)
        self._fill_sources()

    def _fill_sources(self) -> None:
        key = self.device_box.currentData()
        wanted = self._chosen_source or (self.defaults.settings.source if self.defaults else None)
        sources = self._sources.get(key, ("flatbed",)) if key else ()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        for source in sources:
            self.source_box.addItem(tr(f"scan.source.{source}", self.language), source)
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(wanted)) if sources else -1)
        self.source_box.blockSignals(False)

    def _got_defaults(self, defaults: ScanDefaults) -> None:
        self.defaults = defaults
        self._fill_sources()
        self.retranslate(self.language)

    # -- what the buttons do ----------------------------------------------------------------------------
    def settings(self) -> Any:
        base = self.defaults.settings  # type: ignore[union-attr]
        return base.with_source(self.source_box.currentData() or base.source)

    def ready(self) -> bool:
        return bool(self.device_box.currentData()) and self.defaults is not None and not self.busy

    def refresh_state(self, *, can_add: bool | None = None) -> None:
        ready = self.ready()
        for action in (self.preview_button, self.scan_button):
            action.setEnabled(ready)
        if can_add is not None:
            self._can_add = can_add
        self.add_button.setEnabled(ready and getattr(self, "_can_add", False))
        if self.view.image is None:
            state = self._state if self.device_box.count() else self._why_none()
            self.view.show_words(tr(f"scan.{state}", self.language))

    def _why_none(self) -> str:
        """ "unavailable" when SANE cannot run on this kiosk, else "none" (no scanner plugged in)."""
        states = self.ctx.devices.device_states() if self.ctx.devices is not None else []
        return "unavailable" if any(s.key == "driver:sane" for s in states) else "none"

    def preview(self) -> None:
        if not self.ready():
            return
        key, settings = self.device_box.currentData(), self.settings()
        self._start("previewing")
        self.ctx.ops.run(
            lambda: self.scanning.preview(key, settings),
            on_done=self._previewed,
            on_error=self._failed,
            lane="devices",
        )

    def _previewed(self, jpeg: bytes) -> None:
        self._finish()
        self.view.show_jpeg(jpeg)

    def scan(self, *, append_to: ScannedDocument | None = None) -> None:
        """Scan into a new document, or after the pages of ``append_to``; ``on_scanned`` gets it."""
        if not self.ready():
            return
        key, settings = self.device_box.currentData(), self.settings()
        self._start("working")

        def done(document: ScannedDocument) -> None:
            self._finish()
            self.view.show_jpeg(document.pages[-1].jpeg)
            self.on_scanned(document, append_to is not None)

        self.ctx.ops.run(
            lambda: self.scanning.scan(key, settings, append_to=append_to),
            on_done=done,
            on_error=self._failed,
            lane="devices",
        )

    def _start(self, state: str) -> None:
        self.busy, self._state, self._error = True, state, None
        self._before = self.view.jpeg
        self.error.clear()
        self.view.show_words(tr(f"scan.{state}", self.language))
        self.refresh_state()

    def _finish(self) -> None:
        self.busy, self._state = False, "waiting"
        self.refresh_state()

    def _failed(self, exc: Exception) -> None:
        """The scan failed: say why; the document (if any) is as it was."""
        self._finish()
        self._error = exc  # worded again when the language changes
        self.error.setText(error_text(exc, self.ctx.t))
        if self._before:
            self.view.show_jpeg(self._before)  # the document is as it was: so is the picture
        self._version = None  # an unplugged scanner leaves the list at the next look
        self.refresh_state()

    def show_pages(self, count: int | None) -> None:
        self.note.setText(tr("scan.pages", self.language, n=count) if count else "\u00a0")

    def _reserve_lines(self) -> None:
        """The message keeps room for three lines, the note for one: words never move the picture."""
        line = self.error.fontMetrics().lineSpacing()
        self.error.setMinimumHeight(3 * line + 4)
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._reserve_lines()

    def retranslate(self, language: str) -> None:
        self.language = language
        self._reserve_lines()
        self.preview_button.setText(tr("scan.preview", language))
        self.scan_button.setText(tr("scan.scan", language))
        self.add_button.setText(tr("scan.add_page", language))
        self.device_box.setToolTip(tr("scan.device", language))
        self.source_box.setToolTip(tr("scan.source", language))
        for index in range(self.source_box.count()):
            self.source_box.setItemText(index, tr(f"scan.source.{self.source_box.itemData(index)}", language))
        problem = self.defaults.problem if self.defaults else ""
        if self._error is not None:
            self.error.setText(error_text(self._error, self.ctx.t))
        elif problem:
            self.error.setText(tr("scan.settings_problem", language))
        self.refresh_state()


def scanner_port(ctx: Any) -> DocumentScanning | None:
    """The scanners of ``ctx.devices`` when the kiosk is set up for scanners (``document_scanner``) or
    one is already discovered; None otherwise (the page keeps its camera or files only)."""
    devices = getattr(ctx, "devices", None)
    if devices is None or not hasattr(devices, "device_states"):
        return None
    scanning = DocumentScanning(devices)
    wanted = getattr(getattr(ctx, "settings", None), "document_scanner", False)
    return scanning if wanted or scanning.scanners() else None

"""Biometrics step: one panel per capture group the schema asks for (slaps, thumbs, irises, face).

Each panel shows the live preview from the device, a quality bar per finger/eye against the
configured threshold, the attempt counter, and an exception marker per finger/eye. Capture runs on
the worker thread through the core's capture port (``client.core.capture.DeviceCapture``, over the
kiosk's device manager); the workflow keeps the best record per subtype. The page only renders what the
port hands it; stand-ins with the same methods (see ``BiometricSource``) serve screenshots and benches.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from client.core.registration.workflow import CaptureOutcome, Registration
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.i18n import tr, tr_code
from client.ui.widgets import button, error_label


class BiometricSource(Protocol):
    """What the page needs from devices: capture a group; optionally a preview frame (encoded image)."""

    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()) -> list[BiometricCapture]: ...

    def preview_frame(self, group: str) -> bytes | None: ...


def _w(key: str, language: str, **kw: Any) -> str:
    return tr(f"bio.{key}", language, **kw)


def outcome_words(outcome: CaptureOutcome, language: str) -> str:
    """What one capture came to, for the officer: accepted, capture again, or the best kept."""
    if outcome.accepted and not outcome.short:
        return _w("accepted", language)
    what = tr("list.separator", language).join(tr_code("bio.subtype", s, language) for s in outcome.short)
    if outcome.retry_allowed:
        return _w("retry", language, what=what, threshold=outcome.threshold)
    return _w("kept_best", language, what=what, n=outcome.attempts)


def quality_words(quality: int | None, threshold: int, excepted: bool, language: str) -> str:
    """A finger's bar in words, so the verdict never rests on colour alone: "quality 85, needs 60:
    accepted ✔", "... too low ✘", "needs 60" before a capture, "missing" when marked so."""
    if excepted:
        return _w("missing", language)
    if quality is None:
        return _w("needs", language, threshold=threshold)
    verdict = "quality_ok" if quality >= threshold else "quality_low"
    return _w(verdict, language, quality=quality, threshold=threshold)


class GroupPanel(QFrame):
    capture_requested = Signal(str)

    def __init__(self, group: str, registration: Registration) -> None:
        super().__init__()
        self.group, self.registration = group, registration
        self.setProperty("card", True)
        self.setObjectName(f"bio_{group}")
        modality, subtypes = CAPTURE_GROUPS[group]
        self.modality, self.subtypes = modality, subtypes
        layout = QHBoxLayout(self)
        self.preview = QLabel(objectName=f"preview_{group}")
        self.preview.setFixedSize(160, 160)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFrameShape(QFrame.Shape.Box)
        layout.addWidget(self.preview)
        right = QVBoxLayout()
        self.title = QLabel()
        self.title.setProperty("role", "second")
        right.addWidget(self.title)
        grid = QGridLayout()
        self.bars: dict[str, QProgressBar] = {}
        self.markers: dict[str, QCheckBox] = {}
        self.names: dict[str, QLabel] = {}
        threshold = registration.policy.thresholds.get(modality, 0)
        for row, sub in enumerate(subtypes):
            self.names[sub] = QLabel()
            grid.addWidget(self.names[sub], row, 0)
            bar = QProgressBar(objectName=f"quality_{sub.replace(' ', '_')}")
            bar.setRange(0, 100)
            bar.setValue(0)
            bar.setFormat(f"%v / {threshold}")
            self.bars[sub] = bar
            grid.addWidget(bar, row, 1)
            if modality != "face":
                marker = QCheckBox(objectName=f"exception_{sub.replace(' ', '_')}")
                marker.toggled.connect(lambda on, s=sub: self._mark(s, on))
                self.markers[sub] = marker
                grid.addWidget(marker, row, 2)
        right.addLayout(grid)
        bottom = QHBoxLayout()
        self.attempts = QLabel(objectName=f"attempts_{group}")
        self.capture = button("", f"capture_{group}")
        self.capture.clicked.connect(lambda: self.capture_requested.emit(group))
        self.message = QLabel()
        self.outcome: CaptureOutcome | None = None  # the last capture's, re-worded on a language switch
        self.checks: dict[str, str] = {}  # face ICAO-lite verdicts of the last capture
        self.message.setWordWrap(True)
        bottom.addWidget(self.attempts)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.capture)
        right.addLayout(bottom)
        layout.addLayout(right, 1)

    def _mark(self, sub: str, on: bool) -> None:
        reg = self.registration
        if on:
            reg.mark_exception(modality=self.modality, bio_subtype=sub, reason="missing")
        else:
            reg.exceptions.pop((self.modality, sub), None)
        self.refresh()

    def show_frame(self, data: bytes | None) -> None:
        if not data:
            return
        image = QImage.fromData(data)
        if not image.isNull():
            self.preview.setPixmap(
                QPixmap.fromImage(image).scaled(
                    self.preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )

    def refresh(self, language: str = "eng") -> None:
        reg = self.registration
        threshold = reg.policy.thresholds.get(self.modality, 0)
        for sub, bar in self.bars.items():
            self.names[sub].setText(tr_code("bio.subtype", sub, language))
            capture = reg.captures.get((self.modality, sub))
            excepted = (self.modality, sub) in reg.exceptions
            bar.setValue(capture.quality if capture else 0)
            ok = capture is not None and capture.quality >= threshold
            bar.setFormat(quality_words(capture.quality if capture else None, threshold, excepted, language))
            bar.setProperty("ok", ok)
            bar.setProperty("low", bool(capture) and not ok)  # the theme's chunk_low colour
            bar.style().unpolish(bar)
            bar.style().polish(bar)
            if sub in self.markers:
                self.markers[sub].blockSignals(True)
                self.markers[sub].setChecked(excepted)
                self.markers[sub].setText(_w("missing", language))
                self.markers[sub].blockSignals(False)
        self.attempts.setText(
            _w("attempts", language, n=reg.attempts.get(self.group, 0), max=reg.policy.max_retries)
        )
        self.title.setText(_w(f"group.{self.group}", language))
        self.capture.setText(_w("capture", language))
        if self.outcome is not None:
            checklist = icao_checklist(self.checks, language)
            self.message.setText(
                outcome_words(self.outcome, language) + (f"\n{checklist}" if checklist else "")
            )


class BiometricsPage(QWidget):
    """All capture groups of the registration, the exception photo, and the live preview timer."""

    def __init__(self, *, ctx: UiContext, registration: Registration, screen_id: str, language: str) -> None:
        super().__init__()
        self.ctx, self.registration, self.language = ctx, registration, language
        self.screen = registration.engine.ui_spec.screen(screen_id)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        column = QVBoxLayout(inner)
        groups = list(dict.fromkeys(g for g, _m, _s in registration.required_slots()))
        self.panels = {g: GroupPanel(g, registration) for g in groups}
        for panel in self.panels.values():
            panel.capture_requested.connect(self.capture)
            column.addWidget(panel)
        photo_row = QHBoxLayout()
        self.photo_button = button("", "exception_photo", secondary=True)
        self.photo_status = QLabel(objectName="exception_photo_status")
        photo_row.addWidget(self.photo_button)
        photo_row.addWidget(self.photo_status, 1)
        column.addLayout(photo_row)
        column.addStretch(1)
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        self.errors = error_label("bio_errors")
        outer.addWidget(self.errors)
        self.photo_button.clicked.connect(self.take_exception_photo)
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(40)  # 25 fps target for the live preview
        self._preview_timer.timeout.connect(self._pull_preview)
        self._frames_shown = 0
        self.retranslate(language)

    @property
    def source(self) -> BiometricSource | None:
        return self.ctx.devices

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.source is not None and hasattr(self.source, "preview_frame"):
            self._preview_timer.start()

    def hideEvent(self, event) -> None:
        self._preview_timer.stop()
        super().hideEvent(event)

    def _pull_preview(self) -> None:
        # Preview frames come from the port's newest-frame buffer (filled on the device thread); never blocks.
        for group, panel in self.panels.items():
            if panel.isVisible():
                frame = self.source.preview_frame(group)
                if frame:
                    panel.show_frame(frame)
                    self._frames_shown += 1
                break  # preview the first visible (current) group only

    def capture(self, group: str) -> None:
        source = self.source
        panel = self.panels[group]
        if source is None:
            panel.outcome = None
            panel.message.setText(_w("no_device", self.language))
            return
        panel.capture.setEnabled(False)

        def done(records: list[BiometricCapture]) -> None:
            panel.capture.setEnabled(True)
            outcome = self.registration.record_capture(group=group, records=records)
            checks = getattr(source, "checks", {}).get(group) if group == "face" else None
            panel.outcome, panel.checks = outcome, dict(checks or {})
            if records:
                panel.show_frame(_image_of(records[0]))
            panel.refresh(self.language)

        def failed(exc: Exception) -> None:
            panel.capture.setEnabled(True)
            panel.outcome = None
            panel.message.setText(error_text(exc, self.ctx.t))

        modality = CAPTURE_GROUPS[group][0]
        excepted = tuple(sub for (m, sub) in self.registration.exceptions if m == modality)
        self.ctx.ops.run(
            lambda: source.capture_group(group, exceptions=excepted),
            on_done=done,
            on_error=failed,
            changes={"devices"},
        )

    def take_exception_photo(self) -> None:
        source = self.source
        if source is None:
            self.photo_status.setText(_w("no_device", self.language))
            return

        def done(records: list[BiometricCapture]) -> None:
            self.registration.set_exception_photo(_image_of(records[0]) or records[0].record)
            self.photo_status.setText("✔")

        self.ctx.ops.run(
            lambda: source.capture_group("face"),
            on_done=done,
            on_error=lambda e: self.photo_status.setText(error_text(e, self.ctx.t)),
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        self.errors.setText("\n".join(errors.values()))

    def retranslate(self, language: str) -> None:
        self.language = language
        for panel in self.panels.values():
            panel.refresh(language)
        self.photo_button.setText(_w("photo", language))

    def title(self) -> str:
        labels = self.screen.labels
        return (
            labels.get(self.language) or labels.get(self.registration.engine.ui_spec.default_language) or ""
        )


_PASSED = frozenset({"ok", "pass", "passed", "true", "yes"})
_FAILED = frozenset({"fail", "failed", "false", "no", "low", "high", "poor"})


def icao_checklist(checks: dict[str, str], language: str = "eng") -> str:
    """Face ICAO-lite verdicts from the device (e.g. {"one_face": "ok", "sharpness": "low"}) as a checklist
    in ``language``. Other values a device adds (metrics, transaction ids, hashes) are not verdicts and are
    left out."""
    marks = []
    for key, value in checks.items():
        verdict = str(value).lower()
        if verdict in _PASSED or verdict in _FAILED:
            label = tr_code("face_check_label", key, language).replace("_", " ")
            marks.append(f"{'✔' if verdict in _PASSED else '✘'} {label}")
    return "   ".join(marks)


def _image_of(record: BiometricCapture) -> bytes | None:
    """The image inside an ISO-style record (PNG/JPEG start marker), for display only."""
    for marker in (b"\x89PNG", b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP"):
        at = record.record.find(marker)
        if at >= 0:
            return record.record[at:]
    return None

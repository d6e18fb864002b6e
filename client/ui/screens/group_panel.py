"""One capture group's panel on the biometrics step: live preview, a thumbnail per captured finger or eye,
a quality bar per slot (in words), the hand or eye diagram to mark a slot missing with a reason, the
attempt counter and the Capture button. Renders the registration; changes it only through the workflow's
``mark_exception`` / ``clear_exception``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
)

from client.core.registration.biometrics import CAPTURE_GROUPS, EXCEPTION_REASONS, BiometricCapture
from client.core.registration.workflow import CaptureOutcome, Registration
from client.ui.i18n import tr_code
from client.ui.screens.biometric_words import bio_words, icao_checklist, outcome_words, quality_words
from client.ui.screens.hand_diagram import HandDiagram, SlotMark
from client.ui.theme import BASE_POINT_SIZE
from client.ui.widgets import button, wheel_only_when_focused

THUMB = 72  # pixels a side of a finger's or eye's thumbnail


def pixmap_of(data: bytes | None, side: int) -> QPixmap | None:
    """``data`` (an encoded image) scaled to fit ``side`` x ``side``, or None when it does not decode."""
    image = QImage.fromData(data) if data else QImage()
    if image.isNull():
        return None
    return QPixmap.fromImage(image).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def picture_box(name: str, side: int) -> QLabel:
    label = QLabel(objectName=name)
    label.setFixedSize(side, side)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFrameShape(QFrame.Shape.Box)
    return label


class GroupPanel(QFrame):
    """``capture_requested(group)`` asks the page to capture; ``changed`` says a mark was set or cleared."""

    capture_requested = Signal(str)
    changed = Signal()

    def __init__(self, group: str, registration: Registration) -> None:
        super().__init__()
        self.group, self.registration, self.language = group, registration, "eng"
        self.setProperty("card", True)
        self.setObjectName(f"bio_{group}")
        self.modality, self.subtypes = CAPTURE_GROUPS[group]
        self.outcome: CaptureOutcome | None = None  # the last capture's, re-worded on a language switch
        self.checks: dict[str, str] = {}  # face ICAO-lite verdicts of the last capture
        self.kept: dict[str, tuple[BiometricCapture, bytes | None]] = {}  # the thumbnail of each kept record

        self._outer = layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._left = left = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.preview = picture_box(f"preview_{group}", 180)
        left.addWidget(self.preview)
        thumbs = QGridLayout()
        self.thumbnails: dict[str, QLabel] = {}
        for i, sub in enumerate(self.subtypes):
            self.thumbnails[sub] = picture_box(f"thumb_{sub.replace(' ', '_')}", THUMB)
            thumbs.addWidget(self.thumbnails[sub], i // 2, i % 2)
        left.addLayout(thumbs)
        self.capture = button("", f"capture_{group}")  # under the pictures: the right column keeps its width
        self.capture.clicked.connect(lambda: self.capture_requested.emit(group))
        left.addWidget(self.capture)
        left.addStretch(1)
        layout.addLayout(left)

        right = QVBoxLayout()
        self.title = QLabel()
        self.title.setProperty("role", "second")
        right.addWidget(self.title)
        grid = QGridLayout()
        self.bars: dict[str, QProgressBar] = {}
        self.names: dict[str, QLabel] = {}
        for row, sub in enumerate(self.subtypes):
            self.names[sub] = QLabel()
            grid.addWidget(self.names[sub], row, 0)
            self.bars[sub] = bar = QProgressBar(objectName=f"quality_{sub.replace(' ', '_')}")
            bar.setRange(0, 100)
            bar.setValue(0)
            grid.addWidget(bar, row, 1)
        right.addLayout(grid)

        self.markers: dict[str, SlotMark] = {}
        self.diagram: HandDiagram | None = None
        self.reason_box: QComboBox | None = None
        self.hint = QLabel()
        self._last_marked: str | None = None
        if self.modality != "face":
            self.diagram = HandDiagram(group)
            self.markers = self.diagram.marks
            for sub, mark in self.markers.items():
                mark.toggled.connect(lambda on, s=sub: self._mark(s, on))
            self.reason_label = QLabel()
            self.reason_box = wheel_only_when_focused(QComboBox(objectName=f"reason_{group}"))
            # as wide as the room beside the diagram allows; the open list shows each reason whole
            self.reason_box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            self.reason_box.setMinimumContentsLength(8)
            self.reason_box.setMaximumWidth(360)  # a wide screen does not stretch it across the panel
            for code in EXCEPTION_REASONS:
                self.reason_box.addItem(code, code)
            self.reason_label.setBuddy(self.reason_box)
            self.reason_box.currentIndexChanged.connect(self._reason_changed)
            self.hint.setWordWrap(True)
            self.hint.setProperty("role", "second")
            marking = QHBoxLayout()
            marking.addWidget(self.diagram)
            side = QVBoxLayout()
            side.addWidget(self.reason_label)
            side.addWidget(self.reason_box)
            side.addWidget(self.hint)
            side.addStretch(1)
            marking.addLayout(side, 1)
            right.addLayout(marking)

        bottom = QHBoxLayout()
        self.attempts = QLabel(objectName=f"attempts_{group}")
        self.message = QLabel()
        self.message.setWordWrap(True)
        bottom.addWidget(self.attempts, 0, Qt.AlignmentFlag.AlignTop)
        bottom.addSpacing(24)
        bottom.addWidget(self.message, 1)
        right.addStretch(1)
        right.addLayout(bottom)
        layout.addLayout(right, 1)
        self._arrange()

    def _arrange(self) -> None:
        """Pictures beside the marks, or at large text (125 % and up) above them in a row, so the step
        stays within a 1024 px wide screen (it may scroll down then, never sideways)."""
        large = self.font().pointSizeF() >= BASE_POINT_SIZE * 1.25
        self._outer.setDirection(
            QBoxLayout.Direction.TopToBottom if large else QBoxLayout.Direction.LeftToRight
        )
        self._left.setDirection(
            QBoxLayout.Direction.LeftToRight if large else QBoxLayout.Direction.TopToBottom
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "_left"):  # not while being built
            self._arrange()

    # -- marks ------------------------------------------------------------------------------------
    def _reason(self) -> str:
        return self.reason_box.currentData() if self.reason_box is not None else "missing"

    def _mark(self, sub: str, on: bool) -> None:
        reg = self.registration
        self._last_marked = sub
        if on:
            reg.mark_exception(modality=self.modality, bio_subtype=sub, reason=self._reason())
            self.kept.pop(sub, None)
        else:
            reg.clear_exception(modality=self.modality, bio_subtype=sub)
        self.refresh(self.language)
        self.changed.emit()

    def _reason_changed(self) -> None:
        """A new reason applies to the slot just marked (choose the finger, then why)."""
        sub = self._last_marked
        if sub is not None and (self.modality, sub) in self.registration.exceptions:
            self.registration.mark_exception(modality=self.modality, bio_subtype=sub, reason=self._reason())
            self.refresh(self.language)
            self.changed.emit()

    # -- pictures ---------------------------------------------------------------------------------
    def show_frame(self, data: bytes | None) -> None:
        """Show a live (or just captured) picture in the preview box."""
        pixmap = pixmap_of(data, self.preview.width())
        if pixmap is not None:
            self.preview.setPixmap(pixmap)

    def keep_thumbnails(self, thumbnails: dict[int, bytes | None], records: list[BiometricCapture]) -> None:
        """Remember the thumbnail (by index into ``records``) of every record the workflow kept as its
        slot's best; a worse later attempt leaves the earlier picture."""
        for i, record in enumerate(records):
            if self.registration.captures.get((self.modality, record.bio_subtype)) is record:
                self.kept[record.bio_subtype] = (record, thumbnails.get(i))

    # -- words ------------------------------------------------------------------------------------
    def refresh(self, language: str = "eng") -> None:
        self.language = language
        reg = self.registration
        threshold = reg.policy.thresholds.get(self.modality, 0)
        for sub, bar in self.bars.items():
            name = tr_code("bio.subtype", sub, language)
            self.names[sub].setText(name)
            capture = reg.captures.get((self.modality, sub))
            exception = reg.exceptions.get((self.modality, sub))
            bar.setValue(capture.quality if capture else 0)
            ok = capture is not None and capture.quality >= threshold
            words = quality_words(
                capture.quality if capture else None, threshold, exception is not None, language
            )
            if exception is not None and exception.reason != "missing":
                words += f" ({tr_code('bio.reason', exception.reason, language)})"
            bar.setToolTip(words)  # the whole sentence, threshold included
            bar.setAccessibleDescription(words)
            if capture is not None and exception is None:  # the bar itself: the figure and the verdict
                verdict = "bar.quality_ok" if ok else "bar.quality_low"
                words = bio_words(verdict, language, quality=capture.quality)
            bar.setFormat(words)
            bar.setProperty("ok", ok)
            bar.setProperty("low", bool(capture) and not ok)  # the theme's chunk_low colour
            bar.style().unpolish(bar)
            bar.style().polish(bar)
            self._refresh_thumbnail(sub, name, capture, exception is not None, language)
            if sub in self.markers:
                mark = self.markers[sub]
                mark.blockSignals(True)
                mark.setChecked(exception is not None)
                mark.blockSignals(False)
                mark.setAccessibleName(name)
                mark.setToolTip(name)
                state = (
                    bio_words(
                        "mark.marked", language, reason=tr_code("bio.reason", exception.reason, language)
                    )
                    if exception is not None
                    else bio_words("mark.present", language)
                )
                mark.setAccessibleDescription(state)
                mark.update()
        if self.reason_box is not None:
            self.reason_label.setText(bio_words("reason_label", language))
            for i, code in enumerate(EXCEPTION_REASONS):
                self.reason_box.setItemText(i, tr_code("bio.reason", code, language))
            self.hint.setText(bio_words("mark_hint", language))
        n = reg.attempts.get(self.group, 0)
        self.attempts.setText(
            bio_words("attempts", language, n=n, max=reg.policy.max_retries)
            if n
            else bio_words("attempts_allowed", language, max=reg.policy.max_retries)
        )
        self.title.setText(bio_words(f"group.{self.group}", language))
        self.capture.setText(bio_words("capture", language))
        if self.outcome is not None:
            checklist = icao_checklist(self.checks, language)
            self.message.setText(
                outcome_words(self.outcome, language) + (f"\n{checklist}" if checklist else "")
            )

    def _refresh_thumbnail(
        self, sub: str, name: str, capture: BiometricCapture | None, excepted: bool, language: str
    ) -> None:
        label = self.thumbnails[sub]
        label.setToolTip(name)
        label.setAccessibleName(name)
        kept = self.kept.get(sub)
        pixmap = pixmap_of(kept[1], THUMB) if kept is not None and kept[0] is capture else None
        if pixmap is not None:
            label.setPixmap(pixmap)
            return
        label.clear()
        label.setText("⊘" if excepted else "—")  # the side list's marks; the bar beside says it in words
        label.setAccessibleDescription(bio_words("missing", language) if excepted else "")

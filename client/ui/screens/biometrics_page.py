"""Biometrics step: a side list of the capture groups the schema asks for (slaps, thumbs, irises, face)
and the exception photo, each with its state in words; selecting one shows its panel.

Capture runs on the worker thread through the core's capture port (``client.core.capture.DeviceCapture``,
over the kiosk's device manager), which also turns each record into a displayable thumbnail there; the
workflow keeps the best record per subtype. A reader that takes one finger at a time (the port's
``fingers_per_capture``, or its "one_finger" refusal) is asked finger by finger (finger_by_finger.py).
The live preview shows only the selected panel's modality (a finger panel never shows the face camera).
The page only renders what the port hands it; stand-ins with the same methods (see ``BiometricSource``)
serve screenshots and benches.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from client.core.registration.record_images import embedded_image, thumbnail
from client.core.registration.workflow import Registration
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.screens.biometric_side_list import BiometricSideList
from client.ui.screens.biometric_words import PHOTO, bio_words, problem_words, status_words
from client.ui.screens.exception_photo_panel import SHORTCUT, ExceptionPhotoPanel
from client.ui.screens.finger_by_finger import FingerByFinger, fingers_to_capture
from client.ui.screens.group_panel import GroupPanel
from client.ui.widgets import error_label


class BiometricSource(Protocol):
    """What the page needs from devices: capture a group; optionally a preview frame (encoded image) of a
    group's modality, ``stop_preview(modality)`` and ``fingers_per_capture(group)``."""

    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()) -> list[BiometricCapture]: ...

    def preview_frame(self, group: str) -> bytes | None: ...


def _with_thumbnails(
    records: list[BiometricCapture],
) -> tuple[list[BiometricCapture], dict[int, bytes | None]]:
    """Worker side: the records and a PNG thumbnail of each (decoding JPEG 2000 takes a while)."""
    return records, {i: thumbnail(r) for i, r in enumerate(records)}


class BiometricsPage(QWidget):
    """The side list, one panel per capture group and the exception photo, and the live preview timer."""

    def __init__(self, *, ctx: UiContext, registration: Registration, screen_id: str, language: str) -> None:
        super().__init__()
        self.ctx, self.registration, self.language = ctx, registration, language
        self.screen = registration.engine.ui_spec.screen(screen_id)
        groups = list(dict.fromkeys(g for g, _m, _s in registration.required_slots()))
        self.panels = {g: GroupPanel(g, registration) for g in groups}
        self.photo_panel = ExceptionPhotoPanel(registration)
        self.photo_button, self.photo_status = self.photo_panel.button, self.photo_panel.status
        self.side = BiometricSideList([*groups, PHOTO])
        self.stack = QStackedWidget()
        for panel in self.panels.values():
            panel.capture_requested.connect(self.capture)
            panel.changed.connect(self.refresh_side)
            self.stack.addWidget(panel)
        self.stack.addWidget(self.photo_panel)
        outer = QVBoxLayout(self)
        self.auth_hint = QLabel(objectName="bio_auth_hint", wordWrap=True)  # an update's captures only
        self.auth_hint.setVisible(registration.process.authenticating)  # authenticate the resident
        outer.addWidget(self.auth_hint)
        row = QHBoxLayout()
        row.addWidget(self.side)
        row.addWidget(self.stack, 1)
        outer.addLayout(row, 1)
        self.errors = error_label("bio_errors")
        self._problems: dict[str, str] = {}
        outer.addWidget(self.errors)
        self.side.selected.connect(self.show_entry)
        self.side.opened.connect(self.open_entry)
        self.photo_button.clicked.connect(self.take_exception_photo)
        QShortcut(QKeySequence(SHORTCUT), self, activated=self.take_exception_photo)
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(40)  # 25 fps target for the live preview
        self._preview_timer.timeout.connect(self._pull_preview)
        self._frames_shown = 0
        self._streaming: str | None = None  # the modality whose preview runs
        self.finger_pass: FingerByFinger | None = None  # the last finger-by-finger pass (one-finger readers)
        self.side.select(groups[0] if groups else PHOTO)
        self.retranslate(language)

    @property
    def source(self) -> BiometricSource | None:
        return self.ctx.devices

    # -- which panel ------------------------------------------------------------------------------
    def current_panel(self) -> GroupPanel | ExceptionPhotoPanel:
        return self.stack.currentWidget()

    def show_entry(self, key: str) -> None:
        """Show ``key``'s panel (a capture group or the exception photo); its modality is previewed next."""
        self.stack.setCurrentWidget(self.photo_panel if key == PHOTO else self.panels[key])
        self._stop_stream_unless(CAPTURE_GROUPS[self.current_panel().group][0])

    def open_entry(self, key: str) -> None:
        """Enter on the side list: into the panel, on its main button."""
        panel = self.current_panel()
        (panel.button if key == PHOTO else panel.capture).setFocus(Qt.FocusReason.OtherFocusReason)

    # -- live preview -----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.source is not None and hasattr(self.source, "preview_frame"):
            self._preview_timer.start()

    def hideEvent(self, event) -> None:
        self._preview_timer.stop()
        self._stop_stream_unless(None)
        super().hideEvent(event)

    def _stop_stream_unless(self, modality: str | None) -> None:
        """Stop the running preview when the shown panel needs another modality (or none)."""
        running, stop = self._streaming, getattr(self.source, "stop_preview", None)
        if running is not None and running != modality:
            self._streaming = None
            if stop is not None:
                stop(running)

    def _pull_preview(self) -> None:
        # The selected panel's modality only, from the port's newest-frame buffer (filled on the device
        # thread); never blocks.
        panel = self.current_panel()
        frame = self.source.preview_frame(panel.group)
        self._streaming = CAPTURE_GROUPS[panel.group][0]
        if frame:
            panel.show_frame(frame)
            self._frames_shown += 1

    # -- capture ----------------------------------------------------------------------------------
    def pending(self) -> list[str]:
        """The groups with a finger, eye or face neither captured nor marked missing, in list order."""
        reg = self.registration
        return [
            g
            for g, p in self.panels.items()
            if any(
                (p.modality, s) not in reg.captures and (p.modality, s) not in reg.exceptions
                for s in p.subtypes
            )
        ]

    def capture_current(self) -> None:
        """F5: capture the selected group (from the exception photo: the first group still to do)."""
        key = self.side.current_key()
        if key in self.panels:
            self.capture(key)
        elif self.panels:
            self.capture(next(iter(self.pending() or self.panels)))

    def _advance(self, group: str) -> None:
        """After a capture leaving nothing of ``group`` to do, select the next group still to do."""
        pending = self.pending()
        if group not in pending and self.side.current_key() == group:
            order = list(self.panels)
            later = [g for g in pending if order.index(g) > order.index(group)]
            if pending:
                self.side.select((later or pending)[0])

    def capture(self, group: str) -> None:
        source = self.source
        panel = self.panels[group]
        self.side.select(group)
        if source is None:
            panel.outcome = None
            panel.message.setText(bio_words("no_device", self.language))
            return
        if not panel.capture.isEnabled():
            return  # a capture of this group is running (F5 pressed again)
        if self._one_finger_at_a_time(group):
            return self._capture_finger_by_finger(group)
        panel.capture.setEnabled(False)

        def failed(exc: Exception) -> None:
            panel.capture.setEnabled(True)
            if getattr(exc, "device_error", None) == "one_finger":  # the reader said so at this capture
                return self._capture_finger_by_finger(group)
            panel.outcome = None
            panel.message.setText(error_text(exc, self.ctx.t))

        modality = CAPTURE_GROUPS[group][0]
        excepted = tuple(sub for (m, sub) in self.registration.exceptions if m == modality)
        self.ctx.ops.run(
            lambda: _with_thumbnails(source.capture_group(group, exceptions=excepted)),
            on_done=lambda result: self._recorded(group, result),
            on_error=failed,
            changes={"devices"},
        )

    def _recorded(self, group: str, result: tuple[list[BiometricCapture], dict[int, bytes | None]]) -> None:
        """One capture attempt of ``group`` came back (a slap, or a whole finger-by-finger pass)."""
        records, thumbnails = result
        panel = self.panels[group]
        panel.capture.setEnabled(True)
        outcome = self.registration.record_capture(group=group, records=records)
        checks = getattr(self.source, "checks", {}).get(group) if group == "face" else None
        panel.outcome, panel.checks = outcome, dict(checks or {})
        panel.keep_thumbnails(thumbnails, records)
        if records:
            panel.show_frame(thumbnails.get(0))
        panel.refresh(self.language)
        self.refresh_side()
        self._advance(group)

    # -- single-finger readers (device_drivers.fprint) -------------------------------------------------
    def _one_finger_at_a_time(self, group: str) -> bool:
        modality, subtypes = CAPTURE_GROUPS[group]
        per_capture = getattr(self.source, "fingers_per_capture", None)
        return modality == "finger" and per_capture is not None and per_capture(group) < len(subtypes)

    def _capture_finger_by_finger(self, group: str) -> None:
        """Ask for the group's fingers one at a time (screens/finger_by_finger.py)."""
        source, panel = self.source, self.panels[group]
        subtypes = CAPTURE_GROUPS[group][1]
        fingers = fingers_to_capture(self, group)
        if not fingers:  # every finger marked missing: an attempt without a capture, as for a slap
            return self._recorded(group, ([], {}))

        def capture(finger: str) -> tuple[list[BiometricCapture], dict[int, bytes | None]]:
            others = tuple(s for s in subtypes if s != finger)
            return _with_thumbnails(source.capture_group(group, exceptions=others))

        def failed(exc: Exception) -> None:
            panel.outcome = None
            problem = error_text(exc, self.ctx.t)
            panel.message.setText(bio_words("pass_failed", self.language, problem=problem))

        self.finger_pass = FingerByFinger(
            self,
            group,
            fingers,
            capture=capture,
            done=lambda result: self._recorded(group, result),
            failed=failed,
        )
        self.finger_pass.start()

    def take_exception_photo(self) -> None:
        """Take the exception photo with the face camera (F7 from anywhere on this step) and show it."""
        self.side.select(PHOTO)
        source = self.source
        if source is None:
            self.photo_status.setText(bio_words("no_device", self.language))
            return

        def done(result: tuple[list[BiometricCapture], dict[int, bytes | None]]) -> None:
            records, thumbnails = result
            if not records:
                return
            self.registration.set_exception_photo(embedded_image(records[0].record) or records[0].record)
            self.photo_panel.show_photo(thumbnails.get(0))
            self.refresh_side()

        self.ctx.ops.run(
            lambda: _with_thumbnails(source.capture_group("face")),
            on_done=done,
            on_error=lambda e: self.photo_status.setText(error_text(e, self.ctx.t)),
        )

    # -- words ------------------------------------------------------------------------------------
    def refresh_side(self) -> None:
        """Re-word every side list entry and the exception photo's status from the registration."""
        for key in self.side.entries():
            title = bio_words("photo" if key == PHOTO else f"group.{key}", self.language)
            self.side.set_entry(key, title, status_words(self.registration, key, self.language))
        self.photo_panel.refresh(self.language)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Word the workflow's problems (kept, to word them again on a language switch)."""
        self._problems = errors
        self.errors.setText(problem_words(errors, self.language))

    def retranslate(self, language: str) -> None:
        self.language = language
        for panel in self.panels.values():
            panel.refresh(language)
        if self.finger_pass is not None:
            self.finger_pass.retranslate()  # a finger-by-finger prompt in the new language
        self.side.setAccessibleName(bio_words("side_list", language))
        self.auth_hint.setText(bio_words("auth_hint", language))
        self.refresh_side()
        self.show_errors(self._problems)

    def title(self) -> str:
        labels = self.screen.labels
        return (
            labels.get(self.language) or labels.get(self.registration.engine.ui_spec.default_language) or ""
        )

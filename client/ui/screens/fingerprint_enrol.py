"""My fingerprints (MOSIP's operator onboarding): the signed-in officer or supervisor enrols a finger on
the kiosk's reader, enrols it again or removes it, to sign in, unlock, confirm a sign-off or approve
with it later. Opened from the home screen.

Enrolling asks the password first (the core checks it, with the lockout), then several touches on the
reader, each said in words ("Touch 2 of 5 accepted…", or why a touch was refused). Where no reader can
be used the dialog says why (none plugged in, libfprint missing, a reader that cannot match) and
offers nothing to press. The core (client.core.fingerprints) stores and audits; UI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from client.core.authentication import AuthError
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.fingerprint_prompt import RETRIES
from client.ui.i18n import tr_code
from client.ui.widgets import ErrorMessage, button, title_label, wheel_only_when_focused

FINGERS = (
    "Right IndexFinger",
    "Left IndexFinger",
    "Right MiddleFinger",
    "Left MiddleFinger",
    "Right Thumb",
    "Left Thumb",
    "Right RingFinger",
    "Left RingFinger",
    "Right LittleFinger",
    "Left LittleFinger",
)


class FingerprintEnrolDialog(QDialog):
    """Enrol, enrol again or remove the signed-in user's fingers on this kiosk."""

    def __init__(self, ctx: UiContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = ctx.fingerprints
        self.session = ctx.session
        self.status: Any = None
        self.fingers: dict[str, Any] = {}
        self.busy = False
        self._stopping = False
        self.setObjectName("fp_enrol_dialog")
        self.setModal(True)
        layout = QVBoxLayout(self)
        self._words: tuple[str, dict] = ("", {})  # the progress sentence (key, fields), re-worded live
        self.title = title_label()
        self.intro = QLabel(objectName="fp_enrol_intro", wordWrap=True)
        self.state = QLabel(objectName="fp_enrol_status", wordWrap=True)
        self.listing = QLabel(objectName="fp_enrol_list", wordWrap=True)
        for w in (self.title, self.intro, self.state, self.listing):
            layout.addWidget(w)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.finger = wheel_only_when_focused(QComboBox(objectName="fp_enrol_finger"))
        self.password = QLineEdit(objectName="fp_enrol_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.finger_label, self.password_label = QLabel(), QLabel()
        form.addRow(self.finger_label, self.finger)
        form.addRow(self.password_label, self.password)
        layout.addLayout(form)
        self.progress = QLabel(objectName="fp_enrol_progress", wordWrap=True)
        font = self.progress.font()
        font.setBold(True)
        self.progress.setFont(font)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = ErrorMessage("fp_enrol_message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.close_button = button("", "fp_enrol_close", secondary=True)
        self.remove_button = button("", "fp_enrol_remove", secondary=True)
        self.enrol_button = button("", "fp_enrol_start")
        for b in (self.close_button, self.remove_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.enrol_button)
        self.enrol_button.setDefault(True)  # Enter in the password field enrols
        layout.addLayout(row)
        self.close_button.clicked.connect(self.reject)
        self.remove_button.clicked.connect(self.remove)
        self.enrol_button.clicked.connect(self._enrol_pressed)
        self.finger.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self.setMinimumWidth(max(520, self.fontMetrics().horizontalAdvance("M") * 40))
        self.retranslate()
        ctx.language.changed.connect(self._language_changed)  # a slot: let go when the dialog is gone
        self.reload()

    def _language_changed(self, _code: str) -> None:
        self.retranslate()

    # -- what is there -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the reader's state and this user's fingers (worker), then show them."""
        service, user = self.service, self.session.user_id if self.session else ""

        def read() -> tuple[Any, list]:
            return service.status(user_id=user), service.enrolled(user)

        self.ctx.ops.run(read, on_done=self._loaded, on_error=lambda e: self.message.show_error(str(e), e))

    def _loaded(self, result: tuple[Any, list]) -> None:
        self.status, enrolled = result
        self.fingers = {f.finger: f for f in enrolled}
        self.retranslate()

    def retranslate(self) -> None:
        t, lang = self.ctx.t, self.ctx.language.code
        self.setWindowTitle(t("fp.enrol.title"))
        self.title.setText(t("fp.enrol.title"))
        self.intro.setText(t("fp.enrol.intro"))
        status = self.status
        if status is None:
            self.state.setText(t("fp.enrol.checking"))
        elif status.available:
            self.state.setText(t("fp.enrol.ready", reader=status.reader))
        else:
            self.state.setText(t(f"fp.why.{status.reason}", reader=status.reader))
            self.state.setToolTip(status.detail)  # e.g. which library is missing, for support
        lines = [
            t(
                "fp.enrol.item",
                finger=tr_code("bio.subtype", f.finger, lang),
                when=f"\u2068{f.enrolled_at[:10]}\u2069",
            )
            for f in self.fingers.values()
        ]
        self.listing.setText("\n".join(lines) or t("fp.enrol.none"))
        self.finger_label.setText(t("fp.enrol.finger"))
        self.password_label.setText(t("login.password"))
        current = self.finger.currentData() or FINGERS[0]
        self.finger.blockSignals(True)
        self.finger.clear()
        for code in FINGERS:
            mark = " ✔" if code in self.fingers else ""  # enrolled: a mark and the button's words say so
            self.finger.addItem(tr_code("bio.subtype", code, lang) + mark, code)
        self.finger.setCurrentIndex(FINGERS.index(current))
        self.finger.blockSignals(False)
        self.close_button.setText(t("fp.enrol.close"))
        self.remove_button.setText(t("fp.enrol.remove"))
        self.message.retranslate(t)
        self._show_progress(*self._words[:1], **self._words[1])
        self._update_buttons()

    def _named(self, fields: dict) -> dict:
        """Fields of a progress sentence in the current language (a finger's name, a refused touch)."""
        t, lang = self.ctx.t, self.ctx.language.code
        named = dict(fields)
        if "finger" in named:
            named["finger"] = tr_code("bio.subtype", named["finger"], lang)
        if named.get("problem") in RETRIES:
            named["problem"] = t(f"device_error.{named['problem']}")
        return named

    def _update_buttons(self) -> None:
        t = self.ctx.t
        ready = bool(self.status is not None and self.status.available)
        enrolled = self.finger.currentData() in self.fingers
        if self.busy:
            self.enrol_button.setText(t("fp.stop"))
        else:
            self.enrol_button.setText(t("fp.enrol.again" if enrolled else "fp.enrol.start"))
        self.enrol_button.setEnabled(ready or self.busy)
        self.remove_button.setVisible(enrolled)  # nothing to remove: no button that does nothing
        self.remove_button.setEnabled(not self.busy)
        self.finger.setEnabled(not self.busy and (ready or bool(self.fingers)))
        self.password.setEnabled(not self.busy and ready)
        self.close_button.setEnabled(not self.busy)

    # -- enrol, stop, remove ---------------------------------------------------------------------------
    def _enrol_pressed(self) -> None:
        if self.busy:
            self._stopping = True
            self.ctx.ops.run(self.service.cancel)
            return
        password, finger = self.password.text(), self.finger.currentData()
        if not password:
            self.message.show_error(self.ctx.t("fp.enrol.password_needed"), None)
            self.password.setFocus()
            return
        self.busy, self._stopping = True, False
        self.message.clear()
        self._show_progress("fp.enrol.begin", finger=finger)
        self._update_buttons()
        service, session = self.service, self.session
        self.ctx.ops.run(
            lambda report: service.enrol(session, password=password, finger=finger, on_progress=report),
            on_progress=self._touched,
            on_done=self._enrolled,
            on_error=self._failed,
            changes={"audit"},
            lane="devices",
        )

    def _show_progress(self, key: str = "", **fields: object) -> None:
        """Say ``key`` (with ``fields``: a finger's code, a refused touch's code) under the form."""
        self._words = (key, fields)
        self.progress.setText(self.ctx.t(key, **self._named(fields)) if key else "")
        self.progress.setVisible(bool(key))
        QTimer.singleShot(0, self._fit)

    def _fit(self) -> None:
        """Wrapped sentences change the height the dialog needs at its width (Qt does not grow a
        dialog by itself, and adjustSize would narrow it until a wrapped line no longer fits)."""
        layout = self.layout()
        width = max(self.width(), self.minimumWidth())
        if layout.hasHeightForWidth():
            height = layout.totalHeightForWidth(width)
        else:
            height = layout.totalSizeHint().height()
        self.resize(width, max(height, layout.totalMinimumSize().height()))

    def _touched(self, progress: Any) -> None:
        stages = {"done": progress.done, "stages": progress.stages}
        if progress.retry:
            problem = progress.retry if progress.retry in RETRIES else ""
            self._show_progress("fp.enrol.retry", problem=problem, **stages)
        else:
            self._show_progress("fp.enrol.progress", **stages)

    def _enrolled(self, finger: Any) -> None:
        self.busy = False
        self.password.clear()
        self._show_progress("fp.enrol.done", finger=finger.finger)
        self._update_buttons()
        self.reload()

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        self._show_progress()
        self.password.clear()
        t = self.ctx.t
        code = getattr(exc, "device_error", None)
        if self._stopping:
            sentence = t("fp.enrol.stopped")
        elif code == "timeout":
            sentence = t("fp.enrol.timeout")
        elif code in ("disconnected", "not_found"):
            sentence = t("fp.enrol.unplugged")
        elif isinstance(exc, AuthError) and exc.reason == "wrong_password":
            left = exc.details.get("remaining")
            sentence = t("reauth.wrong_password") + (
                f" {t('auth.attempts_left', remaining=left)}" if left is not None else ""
            )
        else:
            sentence = error_text(exc, t) if isinstance(exc, AuthError) or code else t("fp.enrol.failed")
        technical = None if isinstance(exc, AuthError) or code in ("timeout",) else exc
        self.message.show_error(sentence, technical)
        self._update_buttons()

    def remove(self) -> None:
        finger, service, session = self.finger.currentData(), self.service, self.session

        def removed(_gone: bool) -> None:
            self._show_progress("fp.enrol.removed", finger=finger)
            self.reload()

        self.ctx.ops.run(
            lambda: service.remove(session, finger=finger),
            on_done=removed,
            on_error=lambda e: self.message.show_error(error_text(e, self.ctx.t), e),
            changes={"audit"},
        )

    def reject(self) -> None:
        """Closing while the reader waits stops it first (nothing half-enrolled is kept)."""
        if self.busy:
            self._stopping = True
            self.ctx.ops.run(self.service.cancel)
        super().reject()

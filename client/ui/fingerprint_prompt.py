""" "Use fingerprint": the button that signs in, unlocks, confirms or approves with a finger on the kiosk's
reader, for the login, supervisor, re-authentication and end-of-day forms (the password stays beside it).

The prompt asks the core (``ctx.fingerprints``, client.core.fingerprints.FingerprintService) whether a
reader is there and someone (or this user) has enrolled a finger, and shows itself only then; it asks
again when the device bar's devices change (a reader plugged in or pulled out). Pressed, it asks the
form for its check (``work()`` on the UI thread, reading the form's fields, returns a function of the
service, e.g. ``lambda fp: auth.login(user_id=user, fingerprint=fp)``) and runs it on the window's
device lane (the check's own short store transactions are safe there: the store serialises writes),
says "Place your finger on the reader", and turns into a Stop button that cancels the wait. A timeout,
an unplugged reader or a reader that cannot match ends the wait with the form's error sentence.
UI thread only; every core call goes through ``ctx.ops``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from client.core.authentication import AuthError
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.widgets import button

POLL_MS = 1000


class FingerprintPrompt(QWidget):
    """``succeeded(result)`` / ``failed(exc, sentence)`` after a check (the sentence in the kiosk's
    language); ``busy_changed(bool)`` while it waits."""

    succeeded = Signal(object)
    failed = Signal(object, str)
    busy_changed = Signal(bool)

    def __init__(
        self, ctx: UiContext, *, name: str, work: Callable[[], Callable[[Any], Any]], changes: set[str]
    ) -> None:
        super().__init__(objectName=name)
        self.ctx, self.work, self.changes = ctx, work, changes
        self.user_id: str | None = None  # whose prints must be there (None: anyone's, identification)
        self.status: Any = None
        self.busy = self._stopping = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.use = button("", f"{name}_use", secondary=True)
        self.use.setAutoDefault(False)  # Enter in a password field still presses the form's own button
        row.addWidget(self.use)
        row.addStretch(1)
        layout.addLayout(row)
        self.prompt = QLabel(objectName=f"{name}_prompt", wordWrap=True)
        self.prompt.hide()
        layout.addWidget(self.prompt)
        self.use.clicked.connect(self._pressed)
        self._version: object = None
        self._timer = QTimer(self, interval=POLL_MS, timeout=self._devices_changed)
        self.setVisible(False)
        self.retranslate()

    @property
    def service(self) -> Any:
        return getattr(self.ctx, "fingerprints", None)

    def retranslate(self) -> None:
        t = self.ctx.t
        self.use.setText(t("fp.stop" if self.busy else "fp.use"))
        if self.busy:
            self.prompt.setText(t("fp.place"))

    # -- whether to offer it ------------------------------------------------------------------------
    def refresh(self, *, user_id: str | None = None) -> None:
        """Ask the core whether fingers can be used here (for ``user_id``'s prints, or anyone's)."""
        self.user_id = user_id
        service = self.service
        if service is None:
            self.setVisible(False)
            return
        self._timer.start()
        self._version = getattr(self.ctx.devices, "version", None)
        self.ctx.ops.run(lambda: service.status(user_id=user_id), on_done=self._show, on_error=self._hide)

    def _devices_changed(self) -> None:
        """Timer: a reader plugged in or pulled out since the last look (the capture port's version)."""
        version = getattr(self.ctx.devices, "version", None)
        if version != self._version and not self.busy:
            self.refresh(user_id=self.user_id)

    def _show(self, status: Any) -> None:
        self.status = status
        if self.busy:
            return
        usable = status.available and (status.user_enrolled if self.user_id else status.enrolled_here > 0)
        self.setVisible(bool(usable))

    def _hide(self, _exc: Exception) -> None:
        self.status = None
        if not self.busy:
            self.setVisible(False)

    def stop_watching(self) -> None:
        """The form closed: no more polling, and a wait in progress is cancelled."""
        self._timer.stop()
        if self.busy:
            self.cancel()

    # -- the check -----------------------------------------------------------------------------------
    def _pressed(self) -> None:
        if self.busy:
            self.cancel()
        else:
            self.start()

    def start(self) -> None:
        service = self.service
        if service is None or self.busy:
            return
        check = self.work()  # the form's fields, read here on the UI thread
        self._stopping = False
        self._set_busy(True)
        self.ctx.ops.run(
            lambda: check(service),
            on_done=self._done,
            on_error=self._error,
            changes=self.changes,
            lane="devices",  # the wait for a finger holds up neither a sync nor the store's worker
        )

    def cancel(self) -> None:
        service = self.service
        if service is not None and self.busy:
            self._stopping = True
            self.ctx.ops.run(service.cancel)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.prompt.setVisible(busy)
        self.retranslate()
        self.busy_changed.emit(busy)

    def _done(self, result: Any) -> None:
        self._set_busy(False)
        self.succeeded.emit(result)

    def _error(self, exc: Exception) -> None:
        self._set_busy(False)
        self.failed.emit(exc, fingerprint_error_text(exc, self.ctx.t, stopped=self._stopping))


RETRIES = frozenset({"finger_retry", "swipe_too_short", "finger_not_centred", "remove_finger"})


def fingerprint_error_text(exc: BaseException, t: Callable[..., str], *, stopped: bool = False) -> str:
    """Why a check by finger ended without a result, for the officer: stopped on request, no finger in
    time, the reader pulled out, a bad touch, a reader that cannot match, or a refusal (no match,
    locked, no print) worded as at login."""
    code = getattr(exc, "device_error", None)
    if stopped and not isinstance(exc, AuthError):
        return t("fp.stopped")
    if code == "timeout":
        return t("fp.timeout")
    if code in ("disconnected", "not_found", "missing", "closed"):
        return t("fp.unplugged")
    if code in RETRIES:
        return t("fp.retry", problem=t(f"device_error.{code}"))
    if code == "cannot_verify":
        return t("device_error.cannot_verify")
    if isinstance(exc, AuthError):
        return error_text(exc, t)
    return t("fp.failed") if code is not None else t("error.unexpected")

"""Login (and the inactivity lock, which is the same form bound to the current officer): the password,
or "Use fingerprint" where the kiosk has a reader and someone enrolled a finger (the officer's id
typed: their prints; left empty: whoever's finger it is, where the reader can identify)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from client.core.authentication import AuthError, LockedOut
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.fingerprint_prompt import FingerprintPrompt
from client.ui.widgets import ErrorMessage, button, title_label


class LoginScreen(QWidget):
    """Operator id + password. ``signed_in`` carries the core Session; ``locked=True`` makes it the unlock form."""

    signed_in = Signal(object)
    signed_out = Signal()

    def __init__(self, ctx: UiContext, *, locked: bool = False) -> None:
        super().__init__()
        self.ctx, self.locked = ctx, locked
        self.setObjectName("lock_screen" if locked else "login_screen")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.box = box = QWidget()
        self._size_box()
        layout = QVBoxLayout(box)
        self.title = title_label()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.user = QLineEdit(objectName="login_user")
        self.password = QLineEdit(objectName="login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.user_label, self.password_label = QLabel(), QLabel()
        form.addRow(self.user_label, self.user)
        form.addRow(self.password_label, self.password)
        self.message = ErrorMessage("login_message")
        self.submit = button("", "login_submit")
        self.switch = button("", "lock_switch", secondary=True)
        if not locked:  # hide only: showing a button before it has a parent opens it as a window
            self.switch.hide()
        for w in (self.title, self.hint):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.submit)
        self.fingerprint = FingerprintPrompt(
            ctx, name="lock_fp" if locked else "login_fp", work=self._by_finger, changes={"session"}
        )
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.switch)
        centred = (
            QHBoxLayout()
        )  # stretches, not an alignment flag: an aligned widget gets its size hint, so a
        centred.addStretch(1)  # wrapped error message squeezed the password field (no height-for-width)
        centred.addWidget(box, 2)
        centred.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)
        self.submit.clicked.connect(self.attempt)
        self.password.returnPressed.connect(self.attempt)
        self.user.returnPressed.connect(self.password.setFocus)
        self.switch.clicked.connect(self._sign_out)
        self.fingerprint.succeeded.connect(self._done)
        self.fingerprint.failed.connect(self._finger_failed)
        self.fingerprint.busy_changed.connect(lambda busy: self.submit.setEnabled(not busy))
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("lock.title" if self.locked else "login.title"))
        session = self.ctx.session
        self.hint.setText(t("lock.hint", user=session.name if session else "") if self.locked else "")
        self.hint.setVisible(self.locked)
        self.user_label.setText(t("login.user"))
        self.password_label.setText(t("login.password"))
        self.submit.setText(t("lock.unlock" if self.locked else "login.submit"))
        self.switch.setText(t("lock.switch"))
        self.message.retranslate(t)
        self.fingerprint.retranslate()

    def entered(self) -> None:
        self.password.clear()
        self.message.clear()
        if self.locked and self.ctx.session:
            self.user.setText(self.ctx.session.user_id)
            self.user.setEnabled(False)  # only the same officer may unlock
            self.password.setFocus()
            self.fingerprint.refresh(user_id=self.ctx.session.user_id)
        else:
            self.user.setEnabled(True)
            self.user.setFocus()
            self.fingerprint.refresh()  # anyone's enrolled finger (the id typed narrows it)
        self.retranslate()

    def _size_box(self) -> None:
        """The sign-in box grows with the text size (about 36 letters wide: 560 px at 100 %)."""
        self.box.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 36)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_box()

    def attempt(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        if not user or not password:
            self.message.show_error(self.ctx.t("login.user") + " / " + self.ctx.t("login.password"), None)
            return
        self.submit.setEnabled(False)
        self.message.show_error(self.ctx.t("login.checking"), None)
        auth = self.ctx.authentication
        if self.locked and self.ctx.session:
            session = self.ctx.session
            work = lambda: (auth.unlock(session, password=password), session)[1]  # noqa: E731
        else:
            work = lambda: auth.login(user_id=user, password=password)  # noqa: E731
        self.ctx.ops.run(work, on_done=self._done, on_error=self._failed, changes={"session"})

    def _done(self, session) -> None:
        self.submit.setEnabled(True)
        self.password.clear()
        self.message.clear()
        self.signed_in.emit(session)

    def _failed(self, exc: Exception) -> None:
        self.submit.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        if isinstance(exc, AuthError):  # a refusal, worded from its reason: nothing technical to add
            self.message.show_error(error_text(exc, self.ctx.t), None)
        else:
            self.message.show_error(self.ctx.t("error.unexpected"), exc)
        self.message.setProperty("locked_out", isinstance(exc, LockedOut))

    def _by_finger(self):
        """The check "Use fingerprint" runs on the worker: unlock as the same officer, or sign in as the
        officer typed, or as whoever's enrolled finger it is when no id is typed."""
        auth, session, user = self.ctx.authentication, self.ctx.session, self.user.text().strip()
        self.message.clear()
        if self.locked and session:
            return lambda fp: (auth.unlock(session, fingerprint=fp), session)[1]
        return lambda fp: auth.login(user_id=user, fingerprint=fp)

    def _finger_failed(self, exc: Exception, sentence: str) -> None:
        technical = None if isinstance(exc, AuthError) or hasattr(exc, "device_error") else exc
        self.message.show_error(sentence, technical)
        self.message.setProperty("locked_out", isinstance(exc, LockedOut))

    def _sign_out(self) -> None:
        session = self.ctx.session
        if session is not None:
            self.ctx.ops.run(lambda: self.ctx.authentication.logout(session), changes={"session"})
        self.signed_out.emit()

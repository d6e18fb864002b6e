"""The signed-in officer types their password again, or puts an enrolled finger on the kiosk's reader
("Use fingerprint", shown only where they enrolled one), before an action that binds them (sign-off).

Enter submits, Escape or Cancel cancels. A refusal is worded as at login (attempts left, when a lock
ends) and counts toward the same lockout: the check is the core's
:meth:`client.core.authentication.AuthenticationService.reauthenticate`, run on the worker.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from client.core.authentication import AuthError, LockedOut
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.fingerprint_prompt import FingerprintPrompt
from client.ui.widgets import ErrorMessage, dialog_buttons, title_label


class ReauthDialog(QDialog):
    """Accepted once the core has confirmed the password for ``purpose`` (and audited it)."""

    def __init__(self, ctx: UiContext, *, purpose: str, parent=None) -> None:
        super().__init__(parent)
        self.ctx, self.purpose = ctx, purpose
        self.setObjectName("reauth_dialog")
        self.setModal(True)
        session = ctx.session
        t = ctx.t
        self.setWindowTitle(t("reauth.title"))
        layout = QVBoxLayout(self)
        title = title_label(t("reauth.title"))
        title.setWordWrap(True)  # large text: two lines rather than a cut title
        layout.addWidget(title)
        self.hint = QLabel(t("reauth.hint", name=f"\u2068{session.name}\u2069" if session else ""))
        self.hint.setObjectName("reauth_hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.user = QLineEdit(session.user_id if session else "", objectName="reauth_user")
        self.user.setEnabled(False)  # only the officer who signs in may sign off
        self.password = QLineEdit(objectName="reauth_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(t("login.user"), self.user)
        form.addRow(t("login.password"), self.password)
        layout.addLayout(form)
        self.fingerprint = FingerprintPrompt(ctx, name="reauth_fp", work=self._by_finger, changes={"audit"})
        layout.addWidget(self.fingerprint)
        self.message = ErrorMessage("reauth_message")
        layout.addWidget(self.message)
        self.confirm = dialog_buttons(
            self,
            layout,
            cancel=(t("wizard.cancel"), "reauth_cancel"),
            ok=(t("reauth.confirm"), "reauth_confirm"),
            on_ok=self.attempt,
        )
        self.password.setFocus()
        self.setMinimumWidth(520)
        self.fingerprint.succeeded.connect(lambda _none: self.accept())
        self.fingerprint.failed.connect(self._finger_failed)
        self.fingerprint.busy_changed.connect(lambda busy: self.confirm.setEnabled(not busy))
        self.fingerprint.refresh(user_id=session.user_id if session else "")
        self.finished.connect(lambda _r: self.fingerprint.stop_watching())

    def _by_finger(self):
        """The check "Use fingerprint" runs: the signed-in officer's own enrolled fingers."""
        auth, session, purpose = self.ctx.authentication, self.ctx.session, self.purpose
        self.message.clear()
        return lambda fp: auth.reauthenticate(session, fingerprint=fp, purpose=purpose)

    def _finger_failed(self, exc: Exception, sentence: str) -> None:
        technical = None if isinstance(exc, AuthError) or hasattr(exc, "device_error") else exc
        self.message.show_error(sentence, technical)
        self.message.setProperty("locked_out", isinstance(exc, LockedOut))
        self.adjustSize()

    def attempt(self) -> None:
        session, password = self.ctx.session, self.password.text()
        if not self.confirm.isEnabled() or session is None:
            return  # one check at a time
        if not password:
            self.message.setText(self.ctx.t("login.password"))
            return
        self.confirm.setEnabled(False)
        auth, purpose = self.ctx.authentication, self.purpose
        self.ctx.ops.run(
            lambda: auth.reauthenticate(session, password=password, purpose=purpose),
            on_done=lambda _none: self.accept(),
            on_error=self._refused,
            changes={"audit"},
        )

    def _refused(self, exc: Exception) -> None:
        self.confirm.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        t = self.ctx.t
        if isinstance(exc, AuthError) and exc.reason == "wrong_password":  # the officer is known here
            left = exc.details.get("remaining")
            attempts = f" {t('auth.attempts_left', remaining=left)}" if left is not None else ""
            self.message.show_error(t("reauth.wrong_password") + attempts, None)
        elif isinstance(exc, AuthError):  # worded from its reason, as at login: nothing technical to add
            self.message.show_error(error_text(exc, t), None)
        else:
            self.message.show_error(t("error.unexpected"), exc)
        self.message.setProperty("locked_out", isinstance(exc, LockedOut))
        self.adjustSize()  # room for the sentence, without squeezing the fields

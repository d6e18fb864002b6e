"""Supervisor authenticates on the spot (password + one-time code, or their finger on the kiosk's
reader); the core records the approval.

The dialog says what is being approved (the reasons, and which fingers or eyes are marked missing).
Enter in any field submits; only Escape or the Cancel button cancels. "Use fingerprint" shows where the
kiosk has a reader and someone enrolled a finger on it (client.core.fingerprints): with the supervisor
id typed it checks that supervisor's prints, left empty it finds whose finger it is. Either way the
core refuses the officer's own finger (nobody approves their own registration).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.fingerprint_prompt import FingerprintPrompt
from client.ui.i18n import tr_code
from client.ui.widgets import dialog_buttons, error_label, title_label


class SupervisorDialog(QDialog):
    """On success ``supervisor_id`` holds the verified id and the dialog is accepted."""

    def __init__(
        self,
        ctx: UiContext,
        *,
        purpose: str,
        reasons: list[str],
        missing: Sequence[tuple[str, str]] = (),
        operator_id: str | None = None,
        parent=None,
    ) -> None:
        """``missing``: (bio subtype, the officer's note) of each excepted slot; ``operator_id``: the
        officer whose registration this is, who may not approve it even if a supervisor."""
        super().__init__(parent)
        self.ctx, self.purpose, self.operator_id = ctx, purpose, operator_id
        self.supervisor_id: str | None = None
        self.setObjectName("supervisor_dialog")
        self.setModal(True)
        self.setWindowTitle(ctx.t("supervisor.title"))
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("supervisor.title")))
        lang, sep = ctx.language.code, ctx.t("list.separator")
        lines = [ctx.t("supervisor.approves", what=sep.join(tr_code("approval", r, lang) for r in reasons))]
        if missing:
            slots = (
                tr_code("bio.subtype", sub, lang)
                + (f" ({tr_code('bio.reason', note, lang)})" if note else "")
                for sub, note in missing
            )
            lines.append(ctx.t("supervisor.missing", what=sep.join(slots)))
        self.why = QLabel("\n".join(lines), objectName="sup_why")
        self.why.setWordWrap(True)
        # room for the reasons on a line or two: a narrow dialog wrapped Arabic past its left edge
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)
        layout.addWidget(self.why)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.user = QLineEdit(objectName="sup_user")
        self.password = QLineEdit(objectName="sup_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.totp = QLineEdit(objectName="sup_totp")
        self.totp.setInputMask("999999;_")
        form.addRow(ctx.t("supervisor.user"), self.user)
        form.addRow(ctx.t("login.password"), self.password)
        form.addRow(ctx.t("supervisor.totp"), self.totp)
        layout.addLayout(form)
        self.fingerprint = FingerprintPrompt(ctx, name="sup_fp", work=self._by_finger, changes={"audit"})
        layout.addWidget(self.fingerprint)
        self.message = error_label("sup_message")
        layout.addWidget(self.message)
        self.approve = dialog_buttons(
            self,
            layout,
            cancel=(ctx.t("wizard.cancel"), "sup_cancel"),
            ok=(ctx.t("supervisor.approve"), "sup_approve"),
            on_ok=self.attempt,
        )
        self.fingerprint.succeeded.connect(self._approved)
        self.fingerprint.failed.connect(lambda _exc, sentence: self.message.setText(sentence))
        self.fingerprint.busy_changed.connect(lambda busy: self.approve.setEnabled(not busy))
        self.fingerprint.refresh()
        self.finished.connect(lambda _r: self.fingerprint.stop_watching())

    def _by_finger(self):
        """The check "Use fingerprint" runs: the typed supervisor's prints, or whoever's finger it is."""
        auth, user, purpose, operator = (
            self.ctx.authentication,
            self.user.text().strip(),
            self.purpose,
            self.operator_id,
        )
        self.message.clear()
        return lambda fp: auth.supervisor_approval(
            user_id=user, fingerprint=fp, purpose=purpose, operator_id=operator
        )

    def attempt(self) -> None:
        if not self.approve.isEnabled():
            return  # one check at a time
        user, password, code = self.user.text().strip(), self.password.text(), self.totp.text().strip()
        self.approve.setEnabled(False)
        auth = self.ctx.authentication

        def work() -> str:
            return auth.supervisor_approval(
                user_id=user,
                password=password,
                totp=code or None,
                purpose=self.purpose,
                operator_id=self.operator_id,
            )

        self.ctx.ops.run(work, on_done=self._approved, on_error=self._refused, changes={"audit"})

    def _approved(self, supervisor_id: str) -> None:
        self.supervisor_id = supervisor_id
        self.accept()

    def _refused(self, exc: Exception) -> None:
        self.approve.setEnabled(True)
        self.password.clear()
        self.message.setText(error_text(exc, self.ctx.t))

"""Supervisor authenticates on the spot (password + one-time code); the core records the approval."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout

from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.i18n import tr_code
from client.ui.widgets import button, error_label, title_label


class SupervisorDialog(QDialog):
    """On success ``supervisor_id`` holds the verified id and the dialog is accepted."""

    def __init__(self, ctx: UiContext, *, purpose: str, reasons: list[str], parent=None) -> None:
        super().__init__(parent)
        self.ctx, self.purpose = ctx, purpose
        self.supervisor_id: str | None = None
        self.setObjectName("supervisor_dialog")
        self.setModal(True)
        self.setWindowTitle(ctx.t("supervisor.title"))
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("supervisor.title")))
        why = QLabel(ctx.t("list.separator").join(tr_code("approval", r, ctx.language.code) for r in reasons))
        why.setWordWrap(True)
        layout.addWidget(why)
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
        self.message = error_label("sup_message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        cancel = button(ctx.t("wizard.cancel"), "sup_cancel", secondary=True)
        self.approve = button(ctx.t("supervisor.approve"), "sup_approve")
        row.addWidget(cancel)
        row.addStretch(1)
        row.addWidget(self.approve)
        layout.addLayout(row)
        cancel.clicked.connect(self.reject)
        self.approve.clicked.connect(self.attempt)
        self.totp.returnPressed.connect(self.attempt)

    def attempt(self) -> None:
        user, password, code = self.user.text().strip(), self.password.text(), self.totp.text().strip()
        self.approve.setEnabled(False)
        auth = self.ctx.authentication

        def work() -> str:
            return auth.supervisor_approval(
                user_id=user, password=password, totp=code or None, purpose=self.purpose
            )

        self.ctx.ops.run(work, on_done=self._approved, on_error=self._refused, changes={"audit"})

    def _approved(self, supervisor_id: str) -> None:
        self.supervisor_id = supervisor_id
        self.accept()

    def _refused(self, exc: Exception) -> None:
        self.approve.setEnabled(True)
        self.password.clear()
        self.message.setText(error_text(exc, self.ctx.t))

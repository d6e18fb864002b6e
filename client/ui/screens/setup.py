"""First run: point the kiosk at a server, pick its center, enrol, wait for approval, first sync."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from client.core.sync.enrolment import SupervisorCredentials
from client.core.sync.tls import check_server_url
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.widgets import ErrorMessage, button, title_label


def enrol_and_sync(
    ctx: UiContext,
    *,
    server_url: str,
    center_id: str,
    report,
    wait_s: float,
    supervisor: SupervisorCredentials | None = None,
) -> dict:
    """Worker thread: enrol (poll until approved), then the first master-data sync. An already
    enrolled kiosk needs ``supervisor`` (checked by the enrolment service, not here)."""
    ctx.settings.server_url = check_server_url(
        server_url, allow_insecure_http=ctx.settings.allow_insecure_http
    )
    identity = ctx.network.enrolment().wait_for_approval(
        center_id=center_id,
        timeout_s=wait_s,
        poll_s=2.0,
        on_wait=lambda left: report(("wait", left)),
        supervisor=supervisor,
    )
    ctx.master_data.center_id = identity.center_id
    result = ctx.network.master_data_sync().sync(progress=lambda p: report(("sync", p)))
    return {"machine": identity.machine_id, "center": identity.center_id, "rows": result.rows}


class SetupScreen(QWidget):
    navigate = Signal(str)

    def __init__(self, ctx: UiContext, *, wait_s: float = 600.0) -> None:
        super().__init__()
        self.ctx, self.wait_s = ctx, wait_s
        self.setObjectName("setup_screen")
        outer = QVBoxLayout(self)
        box = QWidget()
        box.setMinimumWidth(600)  # room for a whole server address and the re-enrolment rows
        box.setMaximumWidth(700)
        layout = QVBoxLayout(box)
        self.title = title_label()
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.server = QLineEdit(objectName="setup_server")
        self.server.setText(ctx.settings.server_url or "")
        self.server.setPlaceholderText("https://registration.example.org")
        self.center = QLineEdit(objectName="setup_center")
        self.center.setInputMask("99999;_")
        self.center.setText(ctx.settings.center_id or "")
        self.server_label, self.center_label = QLabel(), QLabel()
        form.addRow(self.server_label, self.server)
        form.addRow(self.center_label, self.center)
        # Shown only when the kiosk already pinned a server key: enrolling again needs a supervisor.
        self.reenrol_hint = QLabel(objectName="setup_reenrol_hint")
        self.reenrol_hint.setWordWrap(True)
        self.supervisor = QLineEdit(objectName="setup_supervisor")
        self.supervisor_password = QLineEdit(objectName="setup_supervisor_password")
        self.supervisor_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.supervisor_totp = QLineEdit(objectName="setup_supervisor_totp")
        self.supervisor_label, self.password_label, self.totp_label = QLabel(), QLabel(), QLabel()
        self._supervisor_rows = [
            (self.supervisor_label, self.supervisor),
            (self.password_label, self.supervisor_password),
            (self.totp_label, self.supervisor_totp),
        ]
        for label, field in self._supervisor_rows:
            form.addRow(label, field)
        self.needs_supervisor = False
        self._url = ""  # the address of the last attempt, named when it cannot be reached
        self._show_supervisor(False)
        self.status = QLabel(objectName="setup_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar(objectName="setup_progress")
        self.progress.hide()
        self.message = ErrorMessage("setup_message")
        self.enrol_button = button("", "setup_enrol")
        self.done_button = button("", "setup_done")
        self.done_button.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.reenrol_hint)
        layout.addLayout(form)
        for w in (self.status, self.progress, self.message, self.enrol_button, self.done_button):
            layout.addWidget(w)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.enrol_button.clicked.connect(self.enrol)
        self.done_button.clicked.connect(lambda: self.navigate.emit("login"))
        self.retranslate()

    def entered(self) -> None:
        pinned = self.ctx.machine.identity
        self.ctx.ops.run(lambda: pinned().pinned, on_done=self._show_supervisor)

    def _show_supervisor(self, needed: bool) -> None:
        self.needs_supervisor = bool(needed)
        self.reenrol_hint.setVisible(self.needs_supervisor)
        for label, field in self._supervisor_rows:
            label.setVisible(self.needs_supervisor)
            field.setVisible(self.needs_supervisor)

    def enrol(self) -> None:
        url, center = self.server.text().strip(), self.center.text().strip()
        if not url or len(center) != 5:
            self.message.setText(f"{self.ctx.t('setup.server')} / {self.ctx.t('setup.center')}")
            return
        supervisor = None
        if self.needs_supervisor:
            if not self.supervisor.text().strip() or not self.supervisor_password.text():
                self.message.setText(self.ctx.t("setup.reenrol_hint"))
                return
            supervisor = SupervisorCredentials(
                user_id=self.supervisor.text().strip(),
                password=self.supervisor_password.text(),
                totp=self.supervisor_totp.text().strip() or None,
            )
            self.supervisor_password.clear()
        self.message.clear()
        self._url = url
        self.enrol_button.setEnabled(False)
        self.progress.show()
        self.progress.setRange(0, 0)
        self.ctx.ops.run(
            lambda report: enrol_and_sync(
                self.ctx,
                server_url=url,
                center_id=center,
                report=report,
                wait_s=self.wait_s,
                supervisor=supervisor,
            ),
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
            changes={"master_data", "machine"},
        )

    def _progress(self, event) -> None:
        kind, value = event
        if kind == "wait":
            self.status.setText(self.ctx.t("setup.waiting", s=value))
        else:
            self.status.setText(self.ctx.t("setup.syncing", rows=value.rows))
            if value.phase == "done":
                self.progress.setRange(0, 1)
                self.progress.setValue(1)

    def _done(self, result: dict) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(self.ctx.t("setup.ready", **result))
        self.enrol_button.hide()
        self.done_button.show()

    def _failed(self, exc: Exception) -> None:
        self.enrol_button.setEnabled(True)
        self.progress.hide()
        self.message.show_error(error_text(exc, self.ctx.t, server_url=self._url), exc)

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("setup.title"))
        self.server_label.setText(t("setup.server"))
        self.center_label.setText(t("setup.center"))
        self.enrol_button.setText(t("setup.enrol"))
        self.reenrol_hint.setText(t("setup.reenrol_hint"))
        self.supervisor_label.setText(t("supervisor.user"))
        self.password_label.setText(t("login.password"))
        self.totp_label.setText(t("supervisor.totp"))
        self.done_button.setText(t("login.title"))
        self.message.retranslate(t)

"""Preview of everything captured, officer sign-off (seals the packet), then the receipt.

Each section has an Edit link back to its wizard step (the workflow's ``go_to``; nothing entered is
lost). Signing off (the button or Ctrl+Enter) asks the officer's password again (:class:`ReauthDialog`)
and seals only once the core has confirmed it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QLabel, QTextBrowser, QVBoxLayout, QWidget

from client.core.registration.workflow import Registration, Step
from client.ui import receipt_print
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.flow_layout import FlowLayout
from client.ui.form_renderer import option_label
from client.ui.screens.preview_summary import EDIT_SCHEME, show_summary
from client.ui.screens.reauth_dialog import ReauthDialog
from client.ui.screens.wizard_pages import wizard_screen
from client.ui.widgets import button, error_label, title_label
from shared.forms import CONSENT_AGREED

SIGN_OFF_PURPOSE = "registration.sign_off"


class PreviewScreen(QWidget):
    navigate = Signal(str)

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("preview_screen")
        self.registration: Registration | None = None
        self.finished = None
        self._data: dict | None = None  # the last summary shown, kept to redraw it after sign-off
        layout = QVBoxLayout(self)
        self.title = title_label()
        self.reauth_dialog: ReauthDialog | None = None
        self.summary = QTextBrowser(objectName="preview_summary")
        self.summary.setOpenLinks(False)  # Edit links are handled here, never followed as URLs
        self.summary.anchorClicked.connect(self._link)
        self.result = QLabel(objectName="preview_result")
        self.message = error_label("preview_message")
        layout.addWidget(self.title)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.message)
        self.back_button = button("", "preview_back", secondary=True)
        self.print_button = button("", "receipt_print", secondary=True)
        self.save_button = button("", "receipt_save", secondary=True)
        self.sign_button = button("", "sign_off")
        self.home_button = button("", "preview_home")
        row = FlowLayout(end_last=True)  # the last shown (Sign off, or Home) at the end; wraps at large text
        for action in (
            self.back_button,
            self.print_button,
            self.save_button,
            self.sign_button,
            self.home_button,
        ):
            row.addWidget(action)
        layout.addLayout(row)
        self.back_button.clicked.connect(self.back)
        self.sign_button.clicked.connect(self.sign_off)
        self.print_button.clicked.connect(self.print_preview)
        self.save_button.clicked.connect(self.save_pdf)
        self.home_button.clicked.connect(lambda: self.navigate.emit("home"))
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.sign_off)
        self.retranslate()

    def entered(self) -> None:
        """The keyboard starts on the next thing to do: Sign off, or after it the receipt's Print."""
        (self.print_button if self.finished else self.sign_button).setFocus(Qt.FocusReason.OtherFocusReason)

    def load(self, registration: Registration) -> None:
        self.registration, self.finished, self._data = registration, None, None
        self.message.clear()
        self.result.clear()
        self._render()
        self.retranslate()

    def _render(self) -> None:
        """The summary in the current language; after sign-off from the data the officer signed."""
        reg = self.registration
        if reg is None:
            return
        if reg.step == Step.PREVIEW:
            self._data = reg.preview()
        data = self._data
        if data is None:
            return
        show_summary(
            self.summary,
            reg,
            data,
            t=self.ctx.t,
            lang=self.ctx.language.code,
            shown=self._shown,
            editable=reg.step == Step.PREVIEW,
            rtl=self.ctx.language.rtl,
        )

    def _shown(self, field_id: str, value) -> str:
        """Option ids (gender, locations) as the officer saw them in the form."""
        spec = self.registration.engine.schema.fields[field_id]
        if spec.type == "consent":  # the code in id.json, in words
            return self.ctx.t("consent.agreed") if value == CONSENT_AGREED else str(value)
        if spec.type not in {"dropdown", "location"}:
            return str(value)
        options = self.ctx.extras.get("form_options", {})
        rows = options.get(spec.source if spec.type == "dropdown" else "locations", [])
        default = self.registration.engine.ui_spec.default_language
        row = next((r for r in rows if r.get("id") == value), None)
        return option_label(row, self.ctx.language.code, default) if row else str(value)

    def back(self) -> None:
        if self.registration is not None and self.finished is None:
            self.registration.back()
        self.navigate.emit(self._wizard())

    def _wizard(self) -> str:
        """The screen of the wizard this registration came from (its process's)."""
        return wizard_screen(self.registration.flow if self.registration is not None else "new")

    def _link(self, url: QUrl) -> None:
        if url.scheme() == EDIT_SCHEME:
            self.edit(Step(url.path()))

    def edit(self, step: Step) -> None:
        """Back to ``step`` of the wizard with everything kept; Next there leads here again."""
        reg = self.registration
        if reg is None or self.finished is not None or reg.step != Step.PREVIEW:
            return
        reg.go_to(step)
        self.navigate.emit(self._wizard())

    def sign_off(self) -> None:
        """Ask the officer's password again; only a confirmed officer's registration is sealed."""
        reg, session = self.registration, self.ctx.session
        if reg is None or session is None or reg.step != Step.PREVIEW or not self.sign_button.isEnabled():
            return
        if self.reauth_dialog is not None and self.reauth_dialog.isVisible():
            return
        dialog = ReauthDialog(self.ctx, purpose=SIGN_OFF_PURPOSE, parent=self)
        self.reauth_dialog = dialog
        dialog.accepted.connect(self._seal)
        dialog.open()

    def _seal(self) -> None:
        reg, session = self.registration, self.ctx.session
        if reg is None or session is None:
            return
        self.sign_button.setEnabled(False)
        self.back_button.setEnabled(False)
        regs = self.ctx.registrations
        self.ctx.ops.run(
            lambda: regs.finish(session=session, registration=reg),
            on_done=self._sealed,
            on_error=self._failed,
            changes={"registrations"},
        )

    def _sealed(self, finished) -> None:
        self.finished = finished
        self.retranslate()
        self.entered()

    def _failed(self, exc: Exception) -> None:
        self.message.setText(error_text(exc, self.ctx.t))
        if self.registration is not None and self.registration.step == Step.PREVIEW:
            self.sign_button.setEnabled(True)  # nothing happened yet: the officer may retry
            self.back_button.setEnabled(True)
        else:  # signed off but not sealed: the core settles it at next start (recover); no second sign-off
            self.sign_button.setVisible(False)
            self.back_button.setVisible(False)
            self.home_button.setVisible(True)

    def print_preview(self) -> None:
        if self.finished is None:
            return
        receipts, rid = self.ctx.receipts, self.finished.rid

        def show(pages: list[bytes]) -> None:
            self.preview_dialog = receipt_print.preview_dialog(pages, self)
            self.preview_dialog.open()

        self.ctx.ops.run(
            lambda: receipt_print.rasterise_pdf(receipts.pdf(rid=rid)),
            on_done=show,
            on_error=lambda e: self.message.setText(error_text(e, self.ctx.t)),
        )

    def save_pdf(self, target: str | None = None) -> None:
        if self.finished is None:
            return
        if not target:
            target, _ = QFileDialog.getSaveFileName(
                self, self.ctx.t("preview.save"), f"{self.finished.rid}.pdf", "PDF (*.pdf)"
            )
        if target:
            receipts, rid = self.ctx.receipts, self.finished.rid
            self.ctx.ops.run(
                lambda: receipts.export(rid=rid, target=Path(target)),
                on_error=lambda e: self.message.setText(error_text(e, self.ctx.t)),
            )

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("preview.title"))
        self.sign_button.setText(t("preview.sign"))
        self.print_button.setText(t("preview.print"))
        self.save_button.setText(t("preview.save"))
        self.back_button.setText(t("wizard.back"))
        self.home_button.setText(t("action.home"))
        sealed = self.finished is not None
        self.sign_button.setVisible(not sealed)
        self.back_button.setVisible(not sealed)
        self.sign_button.setEnabled(not sealed)
        self.back_button.setEnabled(not sealed)
        for b in (self.print_button, self.save_button, self.home_button):
            b.setVisible(sealed)
        if sealed:
            self.result.setText(t("preview.done", rid=self.finished.rid))
        self._render()

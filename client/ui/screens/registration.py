"""Registration wizard: pages built from the UI spec of a process, driven by the core state machine.

One wizard per process (new, update, lost, correction; the window names them by
:data:`~client.ui.screens.wizard_pages.WIZARD_SCREENS`). Pages: for an update or a correction first the
officer's choice (:class:`ProcessPage`), then one :class:`FormPage` per demographics screen, one
:class:`DocumentsPage` per documents screen, then biometrics and preview; only the steps the process
walks get a page (an update's once its choice is made). Validation and step changes are the workflow's (pure, no I/O, so they run
on the UI thread); starting and finishing a registration touch the store and go through the operation
helper. Shortcuts: Ctrl+Return / Alt+Right = Next, Alt+Left = Back (the same keys in right-to-left
languages), PgDown / PgUp = scroll the page, F5 = capture (biometrics, document camera), F6 = scan the
pre-registration code with the camera.

A pre-registration id (new registrations only) is typed, typed by a keyboard-wedge scanner (code + Enter into the field), or
scanned with the camera (:class:`ScanDialog`); all three run the same load, which prefills the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from client.core.registration.workflow import Registration, Step
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.form_renderer import FormPage
from client.ui.screens import wizard_pages as wp
from client.ui.screens.biometrics_page import BiometricsPage
from client.ui.screens.documents_page import DocumentsPage
from client.ui.screens.process_page import ProcessPage
from client.ui.screens.scan_dialog import ScanDialog
from client.ui.screens.wizard_pages import load_form_inputs  # noqa: F401 - re-exported
from client.ui.widgets import PageStack, button, confirm, error_label, scroll_by_page, title_label
from shared.forms import CONSENT_AGREED


class RegistrationScreen(QWidget):
    navigate = Signal(str)
    finished = Signal(object)  # Registration at the preview step

    def __init__(self, ctx: UiContext, *, flow: str = "new") -> None:
        super().__init__()
        self.ctx, self.flow = ctx, flow
        self.setObjectName("registration_screen" if flow == "new" else f"{flow}_screen")
        self.registration: Registration | None = None
        self._options: dict[str, list[dict]] = {}
        self.pages: list[QWidget] = []
        self.discard_box: QMessageBox | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = title_label()
        self.step_label = QLabel(objectName="wizard_step")
        top.addWidget(self.title, 1)
        top.addWidget(self.step_label)
        layout.addLayout(top)
        prereg = QHBoxLayout()
        self.prereg_label = QLabel()
        self.prereg = QLineEdit(objectName="prereg_id")
        self.prereg_load = button("", "prereg_load", secondary=True)
        self.prereg_scan = button("", "prereg_scan", secondary=True)
        self.scan_dialog: ScanDialog | None = None
        for w in (self.prereg_label, self.prereg, self.prereg_load, self.prereg_scan):
            prereg.addWidget(w)
        layout.addLayout(prereg)
        self.prereg_status = QLabel(objectName="prereg_status")
        self.prereg_status.setProperty("role", "second")
        self.prereg_status.hide()
        layout.addWidget(self.prereg_status)
        self.stack = PageStack()
        layout.addWidget(self.stack, 1)
        self.message = error_label("wizard_message")
        layout.addWidget(self.message)
        nav = QHBoxLayout()
        self.cancel_button = button("", "wizard_cancel", secondary=True)
        self.back_button = button("", "wizard_back", secondary=True)
        self.next_button = button("", "wizard_next")
        nav.addWidget(self.cancel_button)
        nav.addStretch(1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        self.next_button.clicked.connect(self.next)
        self.back_button.clicked.connect(self.back)
        self.cancel_button.clicked.connect(self.cancel)
        self.prereg_load.clicked.connect(lambda: self.start(prereg_id=self.prereg.text().strip() or None))
        self.prereg.returnPressed.connect(self.prereg_load.click)
        self.prereg_scan.clicked.connect(self.scan_prereg)
        for keys, slot in (
            ("Ctrl+Return", self.next),
            ("Alt+Right", self.next),
            ("Alt+Left", self.back),
            ("PgDown", lambda: scroll_by_page(self.stack.currentWidget(), down=True)),
            ("PgUp", lambda: scroll_by_page(self.stack.currentWidget(), down=False)),
            ("F5", self.capture_current),
            ("F6", self.scan_prereg),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)
        ctx.language.changed.connect(lambda _c: self.retranslate())
        self.retranslate()

    # -- lifecycle --------------------------------------------------------------------------------
    def entered(self) -> None:
        if self.registration is None or self.registration.step in (
            Step.CANCELLED,
            Step.SEALED,
            Step.SIGNED_OFF,
        ):
            self.start(prereg_id=None)
        else:
            self._show_step()

    def _show_step(self) -> None:
        """Show the page of the workflow's step when they differ (the preview's Edit links move it back)."""
        wanted = self.registration.step
        if wanted not in self.registration.steps() or wp.step_of(self.current_page()) == wanted:
            return
        index = next((i for i, p in enumerate(self.pages) if wp.step_of(p) == wanted), None)
        if index is not None:
            self.stack.setCurrentIndex(index)
            self.retranslate()

    def start(self, *, prereg_id: str | None) -> None:
        """A new registration form; with ``prereg_id``, prefilled from that pre-registration. The
        applicant's consent, once ticked on this form, stays ticked when their pre-registration loads
        (it is never part of a pre-registration: the applicant gives it at the kiosk)."""
        self.message.clear()
        self.next_button.setEnabled(False)
        kept = self._consent_given() if prereg_id else {}
        self.ctx.ops.run(
            lambda: wp.load_wizard_inputs(self.ctx, prereg_id, self.flow),
            on_done=lambda loaded: self._build(loaded, keep=kept),
            on_error=self._failed,
        )

    def _consent_given(self) -> dict[str, Any]:
        """The consent field of the form on screen, when the applicant agreed ({} otherwise)."""
        consent = self.registration.consent if self.registration is not None else None
        if consent is None:
            return {}
        for page in self.pages:
            if isinstance(page, FormPage) and page.values().get(consent.field_id) == CONSENT_AGREED:
                return {consent.field_id: CONSENT_AGREED}
        return {}

    def _failed(self, exc: Exception) -> None:
        self.next_button.setEnabled(True)
        self.message.setText(error_text(exc, self.ctx.t))

    def scan_prereg(self, *, timeout_s: float = 20.0) -> None:
        """Open the camera scanner; the first code read is loaded exactly as if it had been typed."""
        busy = self.scan_dialog is not None and self.scan_dialog.isVisible()
        if self.flow != "new" or self.stack.currentIndex() > 0 or busy:
            return  # pre-registration belongs to the first page only
        source = self.ctx.devices
        if source is None or getattr(source, "scan_camera", None) is None:
            self.message.setText(self.ctx.t("scan.no_camera"))
            return
        self.message.clear()
        if self.scan_dialog is not None:
            self.scan_dialog.deleteLater()  # one scanner at a time; the last one is kept for its outcome
        dialog = ScanDialog(self.ctx, timeout_s=timeout_s, parent=self)
        self.scan_dialog = dialog
        dialog.scanned.connect(self._scanned)
        dialog.rejected.connect(lambda: self.message.setText(self.ctx.t("scan.cancelled")))
        dialog.open()
        dialog.start()

    def _scanned(self, code: str) -> None:
        self.prereg.setText(code)
        self.prereg_load.click()  # the same path as typing the id and pressing Enter

    def _build(
        self,
        loaded: tuple[Registration, dict[str, list[dict]], list[dict[str, Any]]],
        keep: dict[str, Any] | None = None,
    ) -> None:
        registration, options, held = loaded
        self.registration, self._options = registration, options
        self.ctx.extras["form_options"] = options  # the preview shows labels, not ids
        self._set_pages([], keep=keep)  # an update or a correction: none until the choice is made
        if registration.step == Step.PROCESS:
            first = ProcessPage(registration=registration, held=held, language=self.ctx.language.code)
            self.pages.append(first)
            self.stack.addWidget(wp.scrolling(first))
        self.stack.setCurrentIndex(0)
        self.next_button.setEnabled(True)
        self.retranslate()
        self.prereg.setText(registration.prereg_id or "")  # a new applicant never inherits the last id
        self._focus_first_field()
        self.prereg_status.clear()
        self.prereg_status.hide()
        if registration.prereg_id and registration.values:
            self.prereg_status.setText("✔ " + self.ctx.t("wizard.prereg_loaded", id=registration.prereg_id))
            self.prereg_status.show()
        elif registration.prereg_id:  # not in this kiosk's pre-registration copy: nothing was prefilled
            self.message.setText(self.ctx.t("wizard.prereg_unknown", id=registration.prereg_id))

    def _set_pages(self, keep_pages: list[QWidget], *, keep: dict[str, Any] | None = None) -> None:
        """Keep ``keep_pages`` (the choice page) and build the pages of the steps the registration now
        walks, filled with what it holds (and ``keep``: values typed but not yet submitted)."""
        reg = self.registration
        while self.stack.count() > len(keep_pages):
            shown = self.stack.widget(self.stack.count() - 1)
            self.stack.removeWidget(shown)
            shown.deleteLater()
        self.pages = list(keep_pages)
        if reg is None or not reg.process.chosen:
            return
        for page in wp.data_pages(self.ctx, reg, self._options, self.ctx.language.code):
            if isinstance(page, FormPage):
                page.set_values(reg.values | (keep or {}))
            self.pages.append(page)
            self.stack.addWidget(wp.scrolling(page) if isinstance(page, FormPage) else page)

    def _focus_first_field(self) -> None:
        page = self.current_page()
        if isinstance(page, ProcessPage):
            page.first_input().setFocus(Qt.FocusReason.OtherFocusReason)
        elif isinstance(page, FormPage):
            first = next((w for w in page.inputs.values() if not w.isHidden()), None)
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_page(self) -> QWidget | None:
        """The page on screen (a long form sits inside a scroll area in the stack)."""
        index = self.stack.currentIndex()
        return self.pages[index] if 0 <= index < len(self.pages) else None

    # -- navigation -------------------------------------------------------------------------------
    def _demographic_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for page in self.pages:
            if isinstance(page, FormPage):
                values.update(page.values())
        return values

    def next(self) -> None:
        reg, index = self.registration, self.stack.currentIndex()
        if reg is None or not self.pages:
            return
        page = self.pages[index]
        self._say(None)
        if isinstance(page, ProcessPage):
            if not self._choose(page):
                return
        elif isinstance(page, FormPage):
            check = reg.engine.validate_screen(
                page.screen_id, self._demographic_values(), language=self.ctx.language.code, today=reg.today
            )
            page.show_errors(check.errors)
            if not check.ok:
                self._say(lambda: self.ctx.t("wizard.fix"))
                return
            following = self.pages[index + 1] if index + 1 < len(self.pages) else None
            if not isinstance(following, FormPage):  # last demographics screen: the workflow decides
                result = reg.submit_demographics(self._demographic_values(), language=self.ctx.language.code)
                if not result.ok:
                    for p in self.pages:
                        if isinstance(p, FormPage):
                            p.show_errors(result.errors)
                    self._say(lambda: wp.step_problem(result.errors, self.ctx.language.code))
                    return
        elif isinstance(page, DocumentsPage):
            result = reg.submit_documents(language=self.ctx.language.code)
            page.show_errors(result.errors)
            if not result.ok:
                self._say(
                    lambda: wp.step_problem(result.errors, self.ctx.language.code) or self.ctx.t("wizard.fix")
                )
                return
        elif isinstance(page, BiometricsPage):
            errors = reg.submit_biometrics()
            page.show_errors(errors)  # its own line says what is left: no second line on a tight page
            if errors:
                return
        if reg.step == Step.SUPERVISOR_APPROVAL:  # after the last step the rules ask for (any process)
            self.ask_supervisor()
            return
        if index + 1 < len(self.pages):
            self.stack.setCurrentIndex(index + 1)
            self.ctx.ops.run(lambda: None, changes={"activity"})
        else:
            self.finished.emit(reg)
        self.retranslate()

    def _choose(self, page: ProcessPage) -> bool:
        """The officer's choice to the workflow; on success the pages of what it opens follow."""
        reg, chosen = self.registration, page.values()
        typed = self._demographic_values()
        if self.flow == "update":
            errors = reg.choose_update(uin=chosen["uin"], groups=chosen["groups"])
        else:
            errors = reg.choose_correction(rid=chosen["rid"])
        page.show_errors(errors)
        if errors:
            self._say(lambda: self.ctx.t("wizard.fix"))
            return False
        self._set_pages(self.pages[:1], keep=typed)
        return True

    def _say(self, words: Callable[[], str] | None) -> None:
        """Show ``words()`` under the page, worded again on a language switch (None clears it)."""
        self._words = words
        if words is None:
            self.message.clear()  # (clear, unlike an empty text, always lays the label out anew)
        else:
            self.message.setText(words())

    _words: Callable[[], str] | None = None

    def ask_supervisor(self) -> None:
        """The rules demand an on-the-spot approval: open the dialog; approval moves on to the preview."""
        self.supervisor_dialog = wp.ask_supervisor(self)

    def capture_current(self) -> None:
        page = self.current_page()
        if isinstance(page, DocumentsPage) and page.view is not None:
            if page.capture_button.isEnabled():  # F5 twice must not shoot the same document twice
                page.capture_camera(page.target)
            return
        if isinstance(page, BiometricsPage):
            page.capture_current()

    def back(self) -> None:
        reg, index = self.registration, self.stack.currentIndex()
        if reg is None or index == 0:
            return
        if reg.step != wp.step_of(self.pages[index - 1]):  # leaving a step: the workflow steps back with us
            reg.back()
        self.stack.setCurrentIndex(index - 1)
        self.retranslate()

    def in_progress(self) -> bool:
        """Would leaving now lose the officer's work? (a live registration with anything entered)"""
        reg = self.registration
        if reg is None or reg.step in (Step.CANCELLED, Step.SEALED, Step.SIGNED_OFF):
            return False
        entered = reg.values or reg.documents or reg.captures or reg.exceptions or self._demographic_values()
        first = reg.steps()[0] if reg.steps() else Step.DEMOGRAPHICS
        return bool(entered) or reg.step != first

    def confirm_discard(self, then: Callable[[], None]) -> None:
        """Run ``then`` at once when nothing would be lost, else only after the officer says Yes."""
        if not self.in_progress():
            then()
            return
        t = self.ctx.t
        self.discard_box = confirm(
            self.window(),
            name="discard",
            title=t("discard.title"),
            text=t("discard.text"),
            yes=t("discard.yes"),
            no=t("discard.no"),
            on_yes=then,
        )

    def cancel(self) -> None:
        self.confirm_discard(self.discard)

    def discard(self) -> None:
        """Drop the registration in progress (after confirmation) and go home."""
        if self.registration is not None and self.registration.step not in (Step.SIGNED_OFF, Step.SEALED):
            self.registration.cancel()
        self.registration = None
        self.navigate.emit("home")

    def retranslate(self) -> None:
        t = self.ctx.t
        language = self.ctx.language.code
        for page in self.pages:
            page.retranslate(language)
        current = self.current_page()
        self.title.setText(current.title() if current is not None else t(f"flow.{self.flow}"))
        self.step_label.setText(  # an update's or a correction's steps are known once chosen
            t("wizard.step", n=self.stack.currentIndex() + 1, total=max(len(self.pages), 1))
            if self.registration is None or self.registration.process.chosen
            else ""
        )
        if self._words is not None:
            self.message.setText(self._words())
        self.prereg_label.setText(t("wizard.prereg"))
        self.prereg_load.setText(t("wizard.prereg_load"))
        self.prereg_scan.setText(t("wizard.prereg_scan"))
        self.next_button.setText(t("wizard.next"))
        self.back_button.setText(t("wizard.back"))
        self.cancel_button.setText(t("wizard.cancel"))
        self.back_button.setEnabled(self.stack.currentIndex() > 0)
        first_page = (self.prereg_label, self.prereg, self.prereg_load, self.prereg_scan)
        for w in first_page:  # pre-registration: a new registration's first page only
            w.setVisible(self.stack.currentIndex() == 0 and self.flow == "new")
        if self.stack.currentIndex() > 0:
            self.prereg_status.hide()

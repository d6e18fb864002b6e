"""End-of-day dialogs: one packet opened (summary and acknowledgement), the reject reason, and the
supervisor's password before approving every packet.

UI thread only; the store, the receipt's rasterising and the password check run on the window's worker
(``ctx.ops``). Enter in a field submits; Escape or the secondary button cancels.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from client.core.registration.end_of_day import OTHER_REASON
from client.ui import receipt_print
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.fingerprint_prompt import FingerprintPrompt
from client.ui.form_renderer import option_label
from client.ui.i18n import tr_code
from client.ui.widgets import button, dialog_buttons, error_label, title_label


def summary_lines(row: dict[str, Any], ctx: UiContext) -> list[tuple[str, str]]:
    """(caption, value) of one pending packet, in the kiosk language; "not recorded" where a packet
    sealed by an older kiosk lacks a figure."""
    t, lang = ctx.t, ctx.language.code
    summary = row.get("summary") or {}
    unknown = t("eod.not_recorded")
    age = summary.get("age")
    modalities = t("list.separator").join(tr_code("device", m, lang) for m in summary.get("modalities", []))
    captures = summary.get("captures")
    captured = f"{captures} ({modalities})" if captures is not None and modalities else modalities or unknown
    notes = summary.get("exception_reasons") or []
    missing = [
        tr_code("bio.subtype", entry.partition(" ")[2] or entry, lang)
        + (f" — {tr_code('exception_reason', notes[i], lang)}" if i < len(notes) and notes[i] else "")
        for i, entry in enumerate(summary.get("exceptions", []))
    ]
    return [
        (t("eod.field.name"), summary.get("name") or unknown),
        ("RID", row["rid"]),
        (t("eod.field.age"), unknown if age is None else t("eod.age_years", n=age)),
        (t("eod.field.documents"), str(summary["documents"]) if "documents" in summary else unknown),
        (t("eod.field.biometrics"), captured),
        (t("eod.field.missing"), "\n".join(missing) if missing else t("eod.none_missing")),
        (t("eod.officer"), str(row.get("operator_id") or unknown)),
        (t("eod.time"), str(row.get("created_at") or "")[:19].replace("T", " ") or unknown),
    ]


class PacketDialog(QDialog):
    """One packet before the decision: its summary beside its acknowledgement. ``decision`` is
    "approve" or "reject" when the supervisor decided here (the dialog is then accepted)."""

    def __init__(self, ctx: UiContext, row: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.row = ctx, row
        self.decision: str | None = None
        self.setObjectName("eod_packet_dialog")
        self.setWindowTitle(ctx.t("eod.packet_title", rid=row["rid"]))
        room = parent.window().size() if parent is not None else self.screen().availableGeometry().size()
        self.resize(min(1100, room.width() - 40), min(740, room.height() - 40))  # within the kiosk's window
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("eod.packet_title", rid=row["rid"])))
        body = QHBoxLayout()
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.fields: dict[str, QLabel] = {}
        for caption, value in summary_lines(row, ctx):
            label = QLabel(value, objectName="eod_field")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[caption] = label
            form.addRow(caption, label)
        side = QWidget()
        side.setLayout(form)
        body.addWidget(side, 0, Qt.AlignmentFlag.AlignTop)
        receipt = QVBoxLayout()
        heading = QLabel(f"<b>{ctx.t('eod.acknowledgement')}</b>", wordWrap=True)
        receipt.addWidget(heading)
        self.receipt_state = QLabel(ctx.t("eod.receipt_loading"), objectName="eod_receipt_state")
        self.receipt_state.setWordWrap(True)
        self.pages = QVBoxLayout()
        holder = QWidget()
        holder.setLayout(self.pages)
        self.scroll = QScrollArea(objectName="eod_receipt")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # pages fit the width
        self.scroll.setWidget(holder)
        receipt.addWidget(self.receipt_state)
        receipt.addWidget(self.scroll, 1)
        body.addLayout(receipt, 1)
        layout.addLayout(body, 1)
        row_buttons = QHBoxLayout()
        close = button(ctx.t("eod.close"), "eod_packet_close", secondary=True)
        reject = button(ctx.t("eod.reject"), "eod_packet_reject", secondary=True)
        self.approve = button(ctx.t("eod.approve_one"), "eod_packet_approve")
        for widget in (close, reject):
            widget.setAutoDefault(False)
            row_buttons.addWidget(widget)
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.approve)
        layout.addLayout(row_buttons)
        close.clicked.connect(self.reject)
        reject.clicked.connect(lambda: self._decide("reject"))
        self.approve.clicked.connect(lambda: self._decide("approve"))
        self.page_count = 0
        self._pages: list[tuple[QLabel, QPixmap]] = []
        receipts, rid = ctx.receipts, row["rid"]
        ctx.ops.run(
            lambda: receipt_print.rasterise_pdf(receipts.pdf(rid=rid), dpi=110),
            on_done=self._show_pages,
            on_error=self._no_receipt,
        )

    def _decide(self, decision: str) -> None:
        self.decision = decision
        self.accept()

    def _show_pages(self, pages: list[bytes]) -> None:
        self.receipt_state.hide()
        for data in pages:
            image = QLabel(objectName="eod_receipt_page")
            pixmap = QPixmap()
            pixmap.loadFromData(data)
            self._pages.append((image, pixmap))
            self.pages.addWidget(image)
        self.page_count = len(pages)
        self._fit_pages()

    def _fit_pages(self) -> None:
        """Each page at the width of the acknowledgement's column (readable without scrolling sideways)."""
        width = max(self.scroll.viewport().width() - 4, 200)
        for image, pixmap in self._pages:
            image.setPixmap(pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_pages()

    def _no_receipt(self, exc: Exception) -> None:
        said = self.ctx.t("eod.receipt_missing")
        self.receipt_state.setText(said if isinstance(exc, LookupError) else error_text(exc, self.ctx.t))


class RejectDialog(QDialog):
    """The reason, picked from the master-data list or "Other" with the supervisor's own words.
    Accepted with ``reason_id`` and ``note`` set."""

    def __init__(self, ctx: UiContext, reasons: list[dict[str, Any]], *, n: int, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reason_id: str | None = None
        self.note = ""
        self.setObjectName("eod_reject_dialog")
        self.setWindowTitle(ctx.t("eod.reject"))
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("eod.reject_title", n=n)))
        form = QFormLayout()
        self.reasons = QComboBox(objectName="eod_reason")
        for row in reasons:
            self.reasons.addItem(option_label(row, ctx.language.code, "eng"), row["id"])
        self.reasons.addItem(ctx.t("eod.reason_other"), OTHER_REASON)
        self.note_edit = QLineEdit(objectName="eod_reason_note")
        form.addRow(ctx.t("eod.reason"), self.reasons)
        form.addRow(ctx.t("eod.reason_note"), self.note_edit)
        layout.addLayout(form)
        self.message = error_label("eod_reject_message")
        layout.addWidget(self.message)
        self.ok = dialog_buttons(
            self,
            layout,
            cancel=(ctx.t("wizard.cancel"), "eod_reject_cancel"),
            ok=(ctx.t("eod.reject_confirm"), "eod_reject_ok"),
            on_ok=self.attempt,
        )
        self.note_edit.returnPressed.connect(self.attempt)

    def attempt(self) -> None:
        reason_id, note = self.reasons.currentData(), self.note_edit.text().strip()
        if reason_id == OTHER_REASON and not note:  # the operator reads it to correct the registration
            self.message.setText(self.ctx.t("eod.reason_required"))
            self.note_edit.setFocus()
            return
        self.reason_id, self.note = reason_id, note
        self.accept()


class ApproveAllDialog(QDialog):
    """The signed-in supervisor's password again, or their enrolled finger ("Use fingerprint", where
    they enrolled one on this kiosk's reader); the core checks it (lockout, audit) and approves
    ``rids``. Accepted once they are approved; a refusal is said here and the password cleared."""

    def __init__(self, ctx: UiContext, rids: list[str], parent=None) -> None:
        super().__init__(parent)
        self.ctx, self.rids = ctx, rids
        self.setObjectName("eod_password_dialog")
        self.setWindowTitle(ctx.t("eod.approve_all"))
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("eod.password_title")))
        name = ctx.session.name if ctx.session else ""
        why = QLabel(ctx.t("eod.password_prompt", n=len(rids), name=name))
        why.setWordWrap(True)
        layout.addWidget(why)
        form = QFormLayout()
        self.password = QLineEdit(objectName="eod_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(ctx.t("login.password"), self.password)
        layout.addLayout(form)
        self.fingerprint = FingerprintPrompt(
            ctx, name="eod_fp", work=self._by_finger, changes={"registrations", "audit"}
        )
        layout.addWidget(self.fingerprint)
        self.message = error_label("eod_password_message")
        layout.addWidget(self.message)
        self.ok = dialog_buttons(
            self,
            layout,
            cancel=(ctx.t("wizard.cancel"), "eod_password_cancel"),
            ok=(ctx.t("eod.approve_all"), "eod_password_ok"),
            on_ok=self.attempt,
        )
        self.fingerprint.succeeded.connect(lambda _n: self.accept())
        self.fingerprint.failed.connect(lambda _exc, sentence: self.message.setText(sentence))
        self.fingerprint.busy_changed.connect(lambda busy: self.ok.setEnabled(not busy))
        self.fingerprint.refresh(user_id=ctx.session.user_id if ctx.session else "")
        self.finished.connect(lambda _r: self.fingerprint.stop_watching())

    def _by_finger(self):
        """The check "Use fingerprint" runs: the signed-in supervisor's finger, then every packet."""
        session, eod, rids = self.ctx.session, self.ctx.end_of_day, self.rids
        self.message.clear()
        return lambda fp: eod.approve_all(session=session, rids=rids, fingerprint=fp)

    def attempt(self) -> None:
        if not self.ok.isEnabled():
            return  # one check at a time
        self.ok.setEnabled(False)
        session, eod, rids, password = self.ctx.session, self.ctx.end_of_day, self.rids, self.password.text()
        self.ctx.ops.run(
            lambda: eod.approve_all(session=session, rids=rids, password=password),
            on_done=lambda n: self.accept(),
            on_error=self._refused,
            changes={"registrations", "audit"},
        )

    def _refused(self, exc: Exception) -> None:
        self.ok.setEnabled(True)
        self.password.clear()
        self.message.setText(error_text(exc, self.ctx.t))

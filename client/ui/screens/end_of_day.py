"""Supervisor end-of-day approval: pending packets in a table; approve, bulk approve, reject with reason."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.i18n import tr_code
from client.ui.widgets import button, error_label, title_label

COLUMNS = ("rid", "person", "captured", "operator_id", "created_at")


def cell_texts(row: dict, t, language: str = "eng") -> dict[str, str]:
    """One pending packet as the supervisor reads it: who, what was captured, by whom, when."""
    summary = row.get("summary") or {}
    person = "\n".join(v for v in (summary.get("name"), summary.get("date_of_birth")) if v) or "—"
    captured = "—"  # packets sealed before the kiosk kept summaries
    if summary:
        counts = [f"{t('eod.documents')}: {summary.get('documents', 0)}"]
        if summary.get("exceptions"):
            counts.append(f"{t('eod.exceptions')}: {len(summary['exceptions'])}")
        modalities = (tr_code("device", m, language) for m in summary.get("modalities", []))
        captured = t("list.separator").join(modalities) + "\n" + " · ".join(counts)
    when = str(row.get("created_at") or "")[:19].replace("T", " ")
    return {
        "rid": row["rid"],
        "person": person,
        "captured": captured,
        "operator_id": str(row.get("operator_id") or ""),
        "created_at": when,
    }


class EndOfDayScreen(QWidget):
    navigate = Signal(str)

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("end_of_day_screen")
        self.rows: list[dict] = []
        layout = QVBoxLayout(self)
        self.title = title_label()
        self.empty = QLabel(objectName="eod_empty")
        self.table = QTableWidget(0, len(COLUMNS), objectName="eod_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # person and captured share the rest
        for key in ("rid", "operator_id", "created_at"):
            header.setSectionResizeMode(COLUMNS.index(key), QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setMinimumSectionSize(44)  # touch-sized rows
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.message = error_label("eod_message")
        # Damaged sealed packets found by the upload agent: the supervisor is the one to act on them.
        self.quarantined = error_label("eod_quarantined")
        self.quarantined_count = 0
        layout.addWidget(self.title)
        layout.addWidget(self.quarantined)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.reject_button = button("", "eod_reject", secondary=True)
        self.approve_button = button("", "eod_approve")
        self.approve_all_button = button("", "eod_approve_all")
        row.addWidget(self.reject_button)
        row.addStretch(1)
        row.addWidget(self.approve_button)
        row.addWidget(self.approve_all_button)
        layout.addLayout(row)
        self.approve_button.clicked.connect(lambda: self.review(self.selected_rids(), approve=True))
        self.approve_all_button.clicked.connect(self.ask_approve_all)
        self.reject_button.clicked.connect(self.ask_reject)
        ctx.ops.bus.changed.connect(
            lambda c: self.refresh() if "registrations" in c and self.isVisible() else None
        )
        self.retranslate()

    def entered(self) -> None:
        self.message.clear()
        self.refresh()

    def refresh(self) -> None:
        session, eod = self.ctx.session, self.ctx.end_of_day
        self.ctx.ops.run(
            lambda: eod.pending(session=session),
            on_done=self._show,
            on_error=lambda e: self.message.setText(error_text(e, self.ctx.t)),
        )
        registrations = self.ctx.registrations
        self.ctx.ops.run(
            lambda: registrations.counts().get("quarantined", 0),
            on_done=self._show_quarantined,
            on_error=lambda e: None,
        )

    def _show_quarantined(self, count: int) -> None:
        self.quarantined_count = count
        self.retranslate()

    def _show(self, rows: list[dict]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            texts = cell_texts(row, self.ctx.t, self.ctx.language.code)
            for c, key in enumerate(COLUMNS):
                item = QTableWidgetItem(texts[key])
                if key == "captured" and row.get("summary", {}).get("exceptions"):
                    item.setToolTip("\n".join(self._exception_words(row["summary"]["exceptions"])))
                self.table.setItem(r, c, item)
        self.retranslate()

    def selected_rids(self) -> list[str]:
        return [self.rows[i.row()]["rid"] for i in self.table.selectionModel().selectedRows()]

    def _exception_words(self, exceptions: list[str]) -> list[str]:
        """Summary entries ``"finger Left IndexFinger"`` as the finger or eye's name in the kiosk language."""
        language = self.ctx.language.code
        return [tr_code("bio.subtype", entry.partition(" ")[2] or entry, language) for entry in exceptions]

    def ask_reject(self) -> None:
        rids = self.selected_rids()
        if not rids:
            self.message.setText(self.ctx.t("eod.select_first"))
            return
        reason, ok = QInputDialog.getText(self, self.ctx.t("eod.reject"), self.ctx.t("eod.reason"))
        if not ok:
            return
        if not reason.strip():  # a rejection the operator cannot act on helps nobody: say so, do nothing
            self.message.setText(self.ctx.t("eod.reason_required"))
            return
        self.review(rids, approve=False, reason=reason.strip())

    def ask_approve_all(self) -> None:
        """Approving every packet at once is asked once more, with the count."""
        rids = [r["rid"] for r in self.rows]
        if rids and self.confirm(self.ctx.t("eod.approve_all_confirm", n=len(rids))):
            self.review(rids, approve=True)

    def confirm(self, question: str) -> bool:
        """Yes/No in the kiosk language; No is the default (Enter on a stray key press approves nothing)."""
        box = QMessageBox(QMessageBox.Icon.Question, self.ctx.t("eod.title"), question, parent=self)
        yes = box.addButton(self.ctx.t("answer.yes"), QMessageBox.ButtonRole.YesRole)
        box.setDefaultButton(box.addButton(self.ctx.t("answer.no"), QMessageBox.ButtonRole.NoRole))
        box.setObjectName("eod_confirm")
        box.exec()
        return box.clickedButton() is yes

    def review(self, rids: list[str], *, approve: bool, reason: str = "") -> None:
        if not rids:
            return
        session, eod = self.ctx.session, self.ctx.end_of_day

        def work() -> int:
            for rid in rids:
                if approve:
                    eod.approve(session=session, rid=rid)
                else:
                    eod.reject(session=session, rid=rid, reason=reason)
            return len(rids)

        self.ctx.ops.run(
            work,
            on_done=lambda n: self.refresh(),
            on_error=lambda e: self.message.setText(error_text(e, self.ctx.t)),
            changes={"registrations"},
        )

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("eod.title"))
        self.table.setHorizontalHeaderLabels(
            ["RID", t("eod.person"), t("eod.captured"), t("eod.officer"), t("eod.time")]
        )
        n = self.quarantined_count
        self.quarantined.setText(t("eod.quarantined", n=n) if n else "")
        self.quarantined.setVisible(bool(n))
        self.empty.setText(t("eod.empty") if not self.rows else "")
        self.empty.setVisible(not self.rows)
        self.approve_button.setText(t("eod.approve"))
        self.approve_all_button.setText(t("eod.approve_all"))
        self.reject_button.setText(t("eod.reject"))
        for b in (self.approve_button, self.approve_all_button, self.reject_button):
            b.setEnabled(bool(self.rows))

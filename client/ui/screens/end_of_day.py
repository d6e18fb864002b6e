"""Supervisor end-of-day approval: pending packets in a table; open one (summary and acknowledgement),
approve, approve all (password again), reject with a reason from master data."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.flow_layout import FlowLayout
from client.ui.i18n import tr_code
from client.ui.screens.end_of_day_dialogs import ApproveAllDialog, PacketDialog, RejectDialog
from client.ui.widgets import button, error_label, title_label

COLUMNS = ("rid", "person", "captured", "operator_id", "created_at")


def cell_texts(row: dict, t, language: str = "eng") -> dict[str, str]:
    """One pending packet as the supervisor reads it: who, what was captured, by whom, when."""
    summary = row.get("summary") or {}
    flow = summary.get("flow", "new")  # an update, a lost-UIN search or a correction says so first
    process = (
        t(f"eod.flow.{flow}", uin=summary.get("uin"), rid=summary.get("correction_of"))
        if flow != "new"
        else ""
    )
    person = "\n".join(v for v in (process, summary.get("name"), summary.get("date_of_birth")) if v) or "—"
    captured = "—"  # packets sealed before the kiosk kept summaries
    if summary:
        counts = [t("eod.documents_n", n=summary.get("documents", 0))]  # the tables hold the colon's spacing
        if summary.get("exceptions"):
            counts.append(t("eod.exceptions_n", n=len(summary["exceptions"])))
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
        self.table.activated.connect(lambda index: self.open_packet(index.row()))  # Enter, double-click
        self.dialog: PacketDialog | RejectDialog | ApproveAllDialog | None = None
        self.message = error_label("eod_message")
        # Damaged sealed packets found by the upload agent: the supervisor is the one to act on them.
        self.quarantined = error_label("eod_quarantined")
        self.quarantined_count = 0
        layout.addWidget(self.title)
        layout.addWidget(self.quarantined)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.reject_button = button("", "eod_reject", secondary=True)
        self.open_button = button("", "eod_open", secondary=True)
        self.approve_button = button("", "eod_approve")
        self.approve_all_button = button("", "eod_approve_all")
        row = FlowLayout(end_last=True)  # looking at a packet apart from approving; wraps at large text
        for group in ((self.open_button, self.reject_button), (self.approve_button, self.approve_all_button)):
            pair = QWidget()
            line = QHBoxLayout(pair)
            line.setContentsMargins(0, 0, 0, 0)
            for action in group:
                line.addWidget(action)
            row.addWidget(pair)
        layout.addLayout(row)
        self.approve_button.clicked.connect(lambda: self.review(self.selected_rids(), approve=True))
        self.approve_all_button.clicked.connect(self.ask_approve_all)
        self.reject_button.clicked.connect(lambda: self.ask_reject())
        self.open_button.clicked.connect(self.open_selected)
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
        chosen = set(self.selected_rids())  # a refresh keeps the supervisor's selection
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            texts = cell_texts(row, self.ctx.t, self.ctx.language.code)
            for c, key in enumerate(COLUMNS):
                item = QTableWidgetItem(texts[key])
                if key == "captured" and row.get("summary", {}).get("exceptions"):
                    item.setToolTip("\n".join(self._exception_words(row["summary"]["exceptions"])))
                self.table.setItem(r, c, item)
        self.table.clearSelection()
        keep = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for r, row in enumerate(rows):  # (not selectRow: right-to-left it may find no column)
            if row["rid"] in chosen:
                self.table.selectionModel().select(self.table.model().index(r, 0), keep)
        self.retranslate()

    def selected_rids(self) -> list[str]:
        return [self.rows[i.row()]["rid"] for i in self.table.selectionModel().selectedRows()]

    def _exception_words(self, exceptions: list[str]) -> list[str]:
        """Summary entries ``"finger Left IndexFinger"`` as the finger or eye's name in the kiosk language."""
        language = self.ctx.language.code
        return [tr_code("bio.subtype", entry.partition(" ")[2] or entry, language) for entry in exceptions]

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.message.setText(self.ctx.t("eod.select_to_open"))
            return
        self.open_packet(rows[0].row())

    def open_packet(self, index: int) -> None:
        """Show one packet's summary and acknowledgement; the supervisor may decide there."""
        if not 0 <= index < len(self.rows) or (self.dialog is not None and self.dialog.isVisible()):
            return
        rid = self.rows[index]["rid"]
        dialog = self.dialog = PacketDialog(self.ctx, self.rows[index], parent=self)

        def decided() -> None:
            if dialog.decision == "approve":
                self.review([rid], approve=True)
            elif dialog.decision == "reject":
                self.ask_reject([rid])

        dialog.accepted.connect(decided)
        dialog.open()

    def ask_reject(self, rids: list[str] | None = None) -> None:
        rids = rids if rids is not None else self.selected_rids()
        if not rids:
            self.message.setText(self.ctx.t("eod.select_first"))
            return
        eod = self.ctx.end_of_day
        self.ctx.ops.run(
            eod.reject_reasons,
            on_done=lambda reasons: self._ask_reason(rids, reasons),
            on_error=lambda e: self._ask_reason(rids, []),  # "Other" with the supervisor's words still works
        )

    def _ask_reason(self, rids: list[str], reasons: list[dict]) -> None:
        dialog = self.dialog = RejectDialog(self.ctx, reasons, n=len(rids), parent=self)
        dialog.accepted.connect(
            lambda: self.review(rids, approve=False, reason=dialog.note, reason_id=dialog.reason_id)
        )
        dialog.open()

    def ask_approve_all(self) -> None:
        """Approving every packet at once is asked once more, with the count, then needs the signed-in
        supervisor's password again (checked and audited by the core)."""
        rids = [r["rid"] for r in self.rows]
        if rids and self.confirm(self.ctx.t("eod.approve_all_confirm", n=len(rids))):
            self.dialog = ApproveAllDialog(self.ctx, rids, parent=self)
            self.dialog.open()

    def confirm(self, question: str) -> bool:
        """Yes/No in the kiosk language; No is the default (Enter on a stray key press approves nothing)."""
        box = QMessageBox(QMessageBox.Icon.Question, self.ctx.t("eod.title"), question, parent=self)
        yes = box.addButton(self.ctx.t("answer.yes"), QMessageBox.ButtonRole.YesRole)
        box.setDefaultButton(box.addButton(self.ctx.t("answer.no"), QMessageBox.ButtonRole.NoRole))
        box.setObjectName("eod_confirm")
        box.exec()
        return box.clickedButton() is yes

    def review(
        self, rids: list[str], *, approve: bool, reason: str = "", reason_id: str | None = None
    ) -> None:
        if not rids:
            return
        session, eod = self.ctx.session, self.ctx.end_of_day

        def work() -> int:
            for rid in rids:
                if approve:
                    eod.approve(session=session, rid=rid)
                else:
                    eod.reject(session=session, rid=rid, reason=reason, reason_id=reason_id)
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
        self.open_button.setText(t("eod.open"))
        for b in (self.approve_button, self.approve_all_button, self.reject_button, self.open_button):
            b.setEnabled(bool(self.rows))

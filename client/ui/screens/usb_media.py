"""USB stick (no network): the supervisor exports approved packets to a stick and reads the office's
answer back (client.core.media). Removable drives are offered as found (shared.media.drives), any
folder can be chosen instead. The work runs on the worker thread with a progress bar; results and
problems are worded in the kiosk language (media.problem.<code>), the technical text behind Details.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.core.media.ack_import import AckReport, import_ack
from client.core.media.errors import MediaProblem
from client.core.media.export import ExportProgress, ExportReport, MediaExporter
from client.ui.context import UiContext
from client.ui.error_text import error_text, local_time
from client.ui.screens.sync_centre import outcome_words
from client.ui.widgets import ErrorMessage, button, title_label
from shared.media.drives import Drive, removable_drives


def problem_text(exc: BaseException, t) -> str:
    """A MediaProblem in the officer's words (sizes in MB); anything else as error_text words it."""
    if isinstance(exc, MediaProblem):
        figures = {k: v // 1_000_000 for k, v in exc.details.items() if isinstance(v, int)}
        if exc.code == "full" and not figures:  # it ran full while writing, not before
            return t("media.problem.full_during")
        return t(f"media.problem.{exc.code}", **figures)
    return error_text(exc, t)


class UsbMediaScreen(QWidget):
    navigate = Signal(str)

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("usb_screen")
        self.folder: Path | None = None
        self.drives: list[Drive] = []
        self.pending: int | None = None
        self.busy = False
        self._say: tuple[str, dict[str, Any]] | None = None  # (key, fields) of the result line
        self._rows: list[tuple[str, str, str | None, str | None, str | None]] = []
        layout = QVBoxLayout(self)
        self.title = title_label()
        self.intro = QLabel(objectName="usb_intro", wordWrap=True)
        self.drive_label = QLabel()
        self.drive_box = QComboBox(objectName="usb_drives")
        # a long "no stick found" must not squeeze the label beside it (Arabic is longer)
        self.drive_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.drive_box.setMinimumContentsLength(16)
        self.drive_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.refresh_button = button("", "usb_refresh", secondary=True)
        self.choose_button = button("", "usb_choose", secondary=True)
        drive_row = QHBoxLayout()
        drive_row.addWidget(self.drive_label)
        drive_row.addWidget(self.drive_box, 1)
        drive_row.addWidget(self.refresh_button)
        drive_row.addWidget(self.choose_button)
        self.folder_label = QLabel(objectName="usb_folder", wordWrap=True)
        self.pending_label = QLabel(objectName="usb_pending")
        self.bar = QProgressBar(objectName="usb_progress")
        self.state = QLabel(objectName="usb_state", wordWrap=True)
        self.table = QTableWidget(0, 3, objectName="usb_statuses")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.message = ErrorMessage("usb_message")
        for widget in (self.title, self.intro):
            layout.addWidget(widget)
        layout.addLayout(drive_row)
        for widget in (self.folder_label, self.pending_label, self.bar, self.state, self.table, self.message):
            layout.addWidget(widget, 1 if widget is self.table else 0)
        actions = QHBoxLayout()
        self.import_button = button("", "usb_import", secondary=True)
        self.export_button = button("", "usb_export")
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)
        layout.addLayout(actions)
        self.refresh_button.clicked.connect(self.find_drives)
        self.choose_button.clicked.connect(self.choose_folder)
        self.drive_box.activated.connect(self._drive_chosen)
        self.export_button.clicked.connect(self.start_export)
        self.import_button.clicked.connect(self.start_import)
        self.retranslate()

    # -- where -------------------------------------------------------------------------------------
    def entered(self) -> None:
        self.message.clear()
        self.find_drives()
        self.count_pending()
        self.retranslate()

    def count_pending(self) -> None:
        self.ctx.ops.run(
            lambda: self.ctx.registrations.counts(), on_done=self._counted, on_error=lambda e: None
        )

    def _counted(self, counts: dict[str, int]) -> None:
        self.pending = counts.get("pending_upload")
        self.retranslate()

    def find_drives(self) -> None:
        """Look for mounted removable drives (on the device lane: it reads /proc and /sys only)."""
        self.ctx.ops.run(removable_drives, on_done=self._found, lane="devices")

    def _found(self, drives: list[Drive]) -> None:
        self.drives = drives
        if self.folder is None and drives:
            self.folder = drives[0].path
        self.retranslate()

    def _drive_chosen(self, index: int) -> None:
        if 0 <= index < len(self.drives):
            self.set_folder(self.drives[index].path)

    def choose_folder(self) -> None:
        dialog = QFileDialog(self, self.ctx.t("usb.choose"), str(self.folder or Path.home()))
        dialog.setObjectName("usb_folder_dialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda path: self.set_folder(Path(path)))
        dialog.open()

    def set_folder(self, folder: Path) -> None:
        self.folder = folder
        self.retranslate()

    # -- export ------------------------------------------------------------------------------------
    def _allowed(self) -> bool:
        session = self.ctx.session
        return session is not None and "supervisor" in session.roles

    def start_export(self) -> None:
        if self.busy or self.folder is None or not self._allowed():
            return
        folder, session = self.folder, self.ctx.session
        exporter = MediaExporter(store=self.ctx.network.store, machine=self.ctx.machine)
        self._begin()
        self.ctx.ops.run(
            lambda report: exporter.export(folder, session=session, progress=report),
            on_progress=self._progress,
            on_done=self._exported,
            on_error=self._failed,
            changes={"registrations"},
        )

    def _progress(self, p: ExportProgress) -> None:
        self.bar.setRange(0, max(p.bytes_total, 1))
        self.bar.setValue(p.bytes_done)
        self._say = (
            "usb.exporting",
            {"done": min(p.packets_done + 1, p.packets_total), "total": p.packets_total},
        )
        self.retranslate()

    def _exported(self, report: ExportReport) -> None:
        self.busy = False
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self._say = ("usb.exported", {"n": len(report.packets), "kept": len(report.kept)})
        if report.quarantined:
            self.message.show_error(self.ctx.t("usb.quarantined", n=len(report.quarantined)), None)
        self._rows = [(rid, "approved", None, None, None) for rid in report.packets]
        self.count_pending()
        self.retranslate()

    # -- answer ------------------------------------------------------------------------------------
    def start_import(self) -> None:
        if self.busy or self.folder is None or not self._allowed():
            return
        folder, parts, actor = self.folder, self.ctx.network, self.ctx.session.user_id
        self._begin()
        self.bar.setRange(0, 0)  # busy: one transaction, no steps to count
        self._say = ("usb.reading", {})
        self.ctx.ops.run(
            lambda: import_ack(parts, folder, actor=actor),
            on_done=self._imported,
            on_error=self._failed,
            changes={"registrations", "master_data", "uploads"},
        )
        self.retranslate()

    def _imported(self, report: AckReport) -> None:
        self.busy = False
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        when = local_time(report.created_at)
        fields = {"when": when, "delivered": len(report.delivered), "rows": report.master_data.rows}
        self._say = ("usb.imported", fields)
        refused = {r.rid for r in report.refused}
        self._rows = [
            (s.rid, "approved" if s.rid in refused else s.status.value, s.uin, s.reason_code, s.reason)
            for s in report.statuses
        ]
        if report.older:
            self.message.show_error(self.ctx.t("usb.older"), None)
        self.count_pending()
        self.retranslate()

    # -- shared ------------------------------------------------------------------------------------
    def _begin(self) -> None:
        self.busy = True
        self.message.clear()
        self._rows = []
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.retranslate()

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self._say = None
        self.message.show_error(problem_text(exc, self.ctx.t), exc)
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("usb.title"))
        self.intro.setText(t("usb.intro"))
        self.drive_label.setText(t("usb.drive"))
        self.refresh_button.setText(t("usb.refresh"))
        self.choose_button.setText(t("usb.choose"))
        self.drive_box.blockSignals(True)
        self.drive_box.clear()
        for drive in self.drives:
            free = (drive.free_bytes or 0) // 1_000_000
            self.drive_box.addItem(t("usb.drive_item", name=drive.label, free=free))
        if not self.drives:
            self.drive_box.addItem(t("usb.no_drive"))
        paths = [d.path for d in self.drives]
        self.drive_box.setCurrentIndex(paths.index(self.folder) if self.folder in paths else 0)
        self.drive_box.setEnabled(bool(self.drives) and not self.busy)
        self.drive_box.blockSignals(False)
        self.folder_label.setText(
            t("usb.folder", path=str(self.folder)) if self.folder else t("usb.no_folder")
        )
        self.pending_label.setText(t("usb.pending", n=self.pending) if self.pending is not None else "")
        self.state.setText(t(self._say[0], **self._say[1]) if self._say else "")
        self.message.retranslate(t)
        allowed = self._allowed()
        if not allowed:
            self.message.setText(t("usb.supervisor_only"))
        ready = allowed and self.folder is not None and not self.busy
        self.export_button.setText(t("usb.export"))
        self.import_button.setText(t("usb.import"))
        self.export_button.setEnabled(ready)
        self.import_button.setEnabled(ready)
        for b in (self.refresh_button, self.choose_button):
            b.setEnabled(not self.busy)
        self.table.setHorizontalHeaderLabels([t("usb.col_rid"), t("sync.col_status"), t("sync.col_outcome")])
        self.table.setRowCount(len(self._rows))
        for row, (rid, status, uin, code, reason) in enumerate(self._rows):
            shown = t(f"status.{status}")
            words = uin or outcome_words(code, reason, t, self.ctx.language.code)
            if status == "approved" and self._say and self._say[0] == "usb.imported":
                words = t("usb.not_received")  # refused at the office: exported again next time
            for column, value in enumerate((rid, shown, words)):
                self.table.setItem(row, column, QTableWidgetItem(value))

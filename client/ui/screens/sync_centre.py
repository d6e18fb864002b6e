"""Sync centre: master data down, packets up, statuses back; per-item and overall progress.

One run = the core's sync round (master-data sync, upload of approved packets, status poll with UIN
or rejection reason, purge, update check) on the worker thread. The update check's outcome is shown
under the table; it never fails the run. A timer repeats it in the background; Pause stops
the schedule (and a run in flight stops after its current packet; uploads resume by offset later).
After a run that left packets without a final outcome, only the statuses are asked again a few times
(:data:`REPOLL_DELAYS_S`, on the worker thread; not while offline, paused or signed out), so a UIN
appears without a second manual sync. A rejection is shown in the kiosk language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.core.sync.quarantine import problem_of
from client.core.sync.round import SyncStopped, UpdateCheck, run_sync_round
from client.core.sync.transport import reason_text
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.i18n import tr_code
from client.ui.widgets import ErrorMessage, button, title_label

# Pausing stops the core's round between chunks; the screen treats that as "not an error".
REPOLL_DELAYS_S = (5.0, 15.0, 45.0)  # after a run: ask the statuses again this long after each other
FINAL_STATES = frozenset({"processed", "rejected", "damaged"})


def outcome_words(code: str | None, reason: str | None, t: Callable[..., str], language: str) -> str:
    """A server outcome in the kiosk language: the worded ``code`` (the supervisor's own reason after a
    rejection at end of day); the server's English text only for a code this build does not know."""
    if not code:
        return reason or ""
    worded = tr_code("server_reason", code, language)
    if worded == code:
        return reason_text(code, reason)
    return f"{worded}: {reason}" if code == "supervisor_rejected" and reason else worded


def run_sync(ctx: UiContext, report, is_paused) -> dict[str, Any]:
    """Worker thread: one full sync round (client.core.sync.round); progress goes to ``report``."""
    result = run_sync_round(ctx.network, progress=lambda kind, p: report((kind, p)), should_stop=is_paused)
    return {
        "rows": result.master_data.rows,
        "uploaded": result.upload.uploaded,
        "failed": result.upload.failed,
        "quarantined": result.upload.quarantined,
        "statuses": [(s.rid, s.status, s.uin, s.reason_code, s.reason) for s in result.statuses],
        "update": result.update,
    }


class SyncCentreScreen(QWidget):
    navigate = Signal(str)
    synced = Signal(object)

    def __init__(
        self,
        ctx: UiContext,
        *,
        interval_minutes: float = 15.0,
        repoll_delays_s: tuple[float, ...] = REPOLL_DELAYS_S,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("sync_screen")
        self.paused = False
        self.running = False
        self.items: dict[str, int] = {}
        # rid -> (status, uin, reason code, reason): re-worded when the officer switches language
        self._outcomes: dict[str, tuple[str, str | None, str | None, str | None]] = {}
        self.repoll_delays_s = repoll_delays_s
        self._repolls: list[float] = []  # the delays still to come in this schedule
        self.repoll_timer = QTimer(self, singleShot=True, objectName="sync_repoll")
        self.repoll_timer.timeout.connect(self._repoll)
        layout = QVBoxLayout(self)
        self.title = title_label()
        self.master_label, self.packets_label = QLabel(), QLabel()
        self._progress_shown = False  # once a run reports progress, the labels show it instead
        self._say: Callable[[], str] | None = None
        self.master_bar = QProgressBar(objectName="sync_master_bar")
        self.overall_bar = QProgressBar(objectName="sync_overall_bar")
        self.table = QTableWidget(0, 4, objectName="sync_items")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in (0, 1):  # RID and % stay narrow; status and reason share the rest
            self.table.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.state = QLabel(objectName="sync_state")
        self.update_label = QLabel(objectName="sync_update")
        self._update: UpdateCheck | None = None
        self.update_label.setWordWrap(True)
        self.schedule_label = QLabel()
        self.message = ErrorMessage("sync_message")
        for w in (
            self.title,
            self.master_label,
            self.master_bar,
            self.packets_label,
            self.overall_bar,
            self.table,
            self.state,
            self.update_label,
            self.schedule_label,
            self.message,
        ):
            layout.addWidget(w, 1 if w is self.table else 0)
        row = QHBoxLayout()
        self.pause_button = button("", "sync_pause", secondary=True)
        self.now_button = button("", "sync_now")
        self.usb_button = button("", "sync_usb", secondary=True)  # no network: the USB stick screen
        row.addWidget(self.pause_button)
        row.addWidget(self.usb_button)
        row.addStretch(1)
        row.addWidget(self.now_button)
        layout.addLayout(row)
        self.now_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.usb_button.clicked.connect(lambda: self.navigate.emit("usb"))
        self.interval_minutes = interval_minutes
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_minutes * 60_000))
        self.timer.timeout.connect(self.start)
        self.retranslate()

    def entered(self) -> None:
        """List what is queued or awaiting an outcome, so the officer sees the work before a run."""
        if not self.running:
            self.ctx.ops.run(
                lambda: self.ctx.registrations.sync_queue(),
                on_done=self._show_queue,
                on_error=lambda e: None,
            )

    def _show_queue(self, rows: list[dict[str, Any]]) -> None:
        if self.running:
            return  # a run started meanwhile; its progress owns the table
        self.table.setRowCount(0)
        self.items.clear()
        self._outcomes.clear()
        damaged = sum(row["status"] == "quarantined" for row in rows)
        if damaged and not self.message.text():  # set aside earlier: still needs the supervisor
            self._show(lambda: self.ctx.t("sync.quarantined_message", n=damaged))
        for row in rows:
            if row["status"] == "quarantined":  # what the kiosk found matters more than the server's word
                self._set_quarantined(row["rid"], row["last_error"] or "")
                continue
            status = row["server_status"] or ("failed" if row["last_error"] else row["status"])
            if row["uin"] or row["server_reason_code"] or row["server_reason"]:
                self._set_outcome(
                    row["rid"], status, row["uin"], row["server_reason_code"], row["server_reason"]
                )
            else:
                self._set_item(row["rid"], status, row["last_error"] or "")

    def _set_item(self, rid: str, state: str, detail: str | None = None, *, tip: str | None = None) -> None:
        """Show a packet ``state`` (local or server, e.g. ``uploaded``) in the officer's words."""
        key = f"status.{state}"
        shown = self.ctx.t(key)
        self._set_cells(rid, state if shown == key else shown, detail, tip=tip)  # an unknown state: as is

    def _set_outcome(
        self, rid: str, status: str, uin: str | None, code: str | None, reason: str | None
    ) -> None:
        """The server's word on a packet: its UIN, or why it was rejected in the kiosk language (the
        server's own text in the tooltip, for support)."""
        self._outcomes[rid] = (status, uin, code, reason)
        words = uin or outcome_words(code, reason, self.ctx.t, self.ctx.language.code)
        self._set_item(rid, status, words, tip=None if uin else reason_text(code, reason) or None)

    def _set_quarantined(self, rid: str, why: str) -> None:
        """Plain words for the officer; the technical cause (file, hashes) stays in the tooltip."""
        t = self.ctx.t
        self._set_cells(rid, t("sync.quarantined"), t(f"quarantine.{problem_of(why)}"), tip=why)

    def _set_cells(self, rid: str, shown: str, detail: str | None, *, tip: str | None = None) -> None:
        r = self._item_row(rid)
        self.table.setItem(r, 2, QTableWidgetItem(shown))
        if detail is not None:
            item = QTableWidgetItem(detail)
            item.setToolTip(tip or detail)  # the column elides long reasons
            self.table.setItem(r, 3, item)

    def schedule(self) -> None:
        if not self.paused:
            self.timer.start()

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.timer.stop() if self.paused else self.timer.start()
        self.retranslate()

    def start(self) -> None:
        if self.running or self.paused:
            return
        self.running = True
        self._show(None)
        self.master_bar.setRange(0, 0)  # busy until the first figures arrive
        self.ctx.ops.run(
            lambda report: run_sync(self.ctx, report, lambda: self.paused),
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
            changes={"master_data", "uploads", "registrations"},
        )
        self.retranslate()

    def _item_row(self, rid: str) -> int:
        if rid not in self.items:
            self.items[rid] = self.table.rowCount()
            self.table.insertRow(self.items[rid])
            self.table.setItem(self.items[rid], 0, QTableWidgetItem(rid))
        return self.items[rid]

    def _progress(self, event) -> None:
        kind, p = event
        if kind == "update":
            return  # shown with the result in _done
        if kind == "master":
            self.master_bar.setRange(0, 1)
            self.master_bar.setValue(1 if p.phase == "done" else 0)
            self._progress_shown = True
            t = self.ctx.t
            text = f"{t('sync.master')}: " + t(
                "sync.master_progress", phase=t(f"sync.phase.{p.phase}"), rows=p.rows
            )
            if p.skipped:  # the kiosk kept its last good version of those rows and told head office
                text += f"; {p.skipped} {self.ctx.t('sync.master_skipped')}"
            self.master_label.setText(text)
        else:
            row = self._item_row(p.rid)
            self.table.setItem(row, 1, QTableWidgetItem(f"{100 * p.sent // max(p.size, 1)}%"))
            self.overall_bar.setRange(0, max(p.bytes_total, 1))
            self.overall_bar.setValue(p.bytes_sent)
            self._progress_shown = True
            self.packets_label.setText(f"{self.ctx.t('sync.packets')}: {p.packets_done}/{p.packets_total}")

    def _done(self, result: dict[str, Any]) -> None:
        self.running = False
        self.master_bar.setRange(0, 1)
        self.master_bar.setValue(1)
        self.ctx.last_sync = datetime.now()
        for rid in result["uploaded"]:
            self._set_item(rid, "uploaded")
        for rid, why in result["failed"].items():
            self._set_item(rid, "failed", why)
        for rid, status, uin, code, reason in result["statuses"]:
            self._set_outcome(rid, status, uin, code, reason)
        for rid, why in result["quarantined"].items():
            self._set_quarantined(rid, why)
        update = result["update"]
        self._update = update  # worded in retranslate, so it follows a language switch
        self.update_label.setToolTip(update.message)  # the technical reason, for support
        failed = [f"{r}: {w}" for r, w in result["failed"].items()]
        damaged = len(result["quarantined"])

        def problems() -> str:
            said = [self.ctx.t("sync.quarantined_message", n=damaged)] if damaged else []
            return "; ".join(said + failed)

        if failed or damaged:
            self._show(problems)
        elif update.status == "refused":  # a refused release may be an attack: say it where errors go
            self._show(lambda: self.ctx.t("update.refused"))
        self.synced.emit(result)
        self.schedule()
        waiting = bool(result["uploaded"]) or any(s[1] not in FINAL_STATES for s in result["statuses"])
        self._repolls = list(self.repoll_delays_s) if waiting else []
        self._next_repoll()
        self.retranslate()

    def _next_repoll(self) -> None:
        if self._repolls:
            self.repoll_timer.start(int(self._repolls.pop(0) * 1000))
        else:
            self.repoll_timer.stop()

    def _repoll(self) -> None:
        """Ask only the statuses again (worker thread); a run in flight polls them itself."""
        session = self.ctx.session
        if self.paused or session is None or session.locked:
            self._repolls.clear()  # paused or signed out: the next sync starts a new schedule
            return
        if self.running or self.ctx.network_online is False:  # no poll while offline
            self._next_repoll()
            return
        network = self.ctx.network
        self.ctx.ops.run(
            lambda: network.packet_outcomes().poll_statuses(),
            on_done=self._repolled,
            on_error=lambda e: self._repolls.clear(),  # unreachable now: the background sync retries
            changes={"registrations"},
        )

    def _repolled(self, statuses: list) -> None:
        for s in statuses:
            self._set_outcome(s.rid, s.status, s.uin, s.reason_code, s.reason)
        if any(s.status not in FINAL_STATES for s in statuses):
            self._next_repoll()
        else:  # every uploaded packet has its final word
            self._repolls.clear()

    def _failed(self, exc: Exception) -> None:
        self.running = False
        self.master_bar.setRange(0, 1)
        if isinstance(exc, SyncStopped):
            self._show(None)
        else:
            url = self.ctx.settings.server_url
            self._show(lambda: error_text(exc, self.ctx.t, server_url=url), details=exc)
        self.retranslate()

    def _show(self, render: Callable[[], str] | None, *, details: BaseException | None = None) -> None:
        """Show a message made by ``render``, again in the new language when the officer switches, with
        ``details`` (the technical cause) behind its Details button and in the log."""
        self._say = render
        self.message.show_error(render() if render else "", details)

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("sync.title"))
        self.message.retranslate(t)
        self.table.setHorizontalHeaderLabels(["RID", "%", t("sync.col_status"), t("sync.col_outcome")])
        for rid, outcome in list(self._outcomes.items()):
            self._set_outcome(rid, *outcome)
        if not self._progress_shown:
            self.master_label.setText(t("sync.master"))
            self.packets_label.setText(t("sync.packets"))
        if self._say is not None:
            self.message.setText(self._say())
        if self._update is not None:
            self.update_label.setText(t(f"update.{self._update.status}", version=self._update.version or ""))
        self.pause_button.setText(t("sync.resume" if self.paused else "sync.pause"))
        self.usb_button.setText(t("usb.open"))
        self.now_button.setText(t("sync.retry" if self.message.text() else "sync.now"))
        self.now_button.setEnabled(not self.running and not self.paused)
        self.state.setText("…" if self.running else t("sync.idle"))
        self.schedule_label.setText(t("sync.every", m=f"{self.interval_minutes:g}"))

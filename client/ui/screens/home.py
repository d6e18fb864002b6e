"""Home: counts at a glance, last sync, network and device state, and the actions the role allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from client.core.registration.repository import COUNT_KEYS
from client.ui.context import UiContext
from client.ui.flow_layout import FlowLayout
from client.ui.i18n import tr_code
from client.ui.screens.wizard_pages import wizard_screen
from client.ui.theme import FORM_MAX_WIDTH
from client.ui.widgets import CountCard, ErrorMessage, button, title_label


def read_home_figures(ctx: UiContext) -> dict[str, Any]:
    """Worker-thread read of everything the home screen shows (never call on the UI thread)."""
    counts: dict[str, int | None] = dict.fromkeys(COUNT_KEYS)
    counts_error: Exception | None = None
    try:
        counts.update(ctx.registrations.counts())
    except Exception as exc:  # the rest of the screen still shows; the cards say the figures are unread
        counts_error = exc
    online: bool | None = None
    if ctx.settings.server_url or ctx.machine.identity().enrolled:
        try:
            ctx.network.server().health()
            online = True
        except Exception:
            online = False
    devices: list[tuple[str, str]] = []
    if ctx.devices is not None and hasattr(ctx.devices, "status"):
        devices = [(str(k), str(v)) for k, v in dict(ctx.devices.status()).items()]
    identity = ctx.machine.identity()
    center = ctx.master_data.get("centers", identity.center_id) if identity.center_id else None
    return {
        "counts": counts,
        "counts_error": counts_error,
        "online": online,
        "devices": devices,
        "last_contact": ctx.machine.last_contact(),
        "center": (center or {}).get("name") or identity.center_id,
        "flows": ctx.master_data.flows(),  # the processes whose UI spec is synced
        "machine": identity.machine_id,
    }


class HomeScreen(QWidget):
    navigate = Signal(str)

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("home_screen")
        self._figures: dict[str, Any] = {"counts": dict.fromkeys(COUNT_KEYS), "online": None, "devices": []}
        self._read = False  # until the first read the cards show "–" (not yet read), never a blank
        layout = QVBoxLayout(self)
        self._margins = layout.contentsMargins()
        self.title = title_label()
        self.place_label = QLabel(objectName="home_place")
        layout.addWidget(self.title)
        layout.addWidget(self.place_label)
        self.grid = QGridLayout()
        self.cards = {k: CountCard(k) for k in COUNT_KEYS}
        for card in self.cards.values():
            card.number.setWordWrap(True)  # "could not be read" fits the card
        self._columns = 0
        self._place_cards(3)
        layout.addLayout(self.grid)
        self.sync_label, self.network_label, self.devices_label = QLabel(), QLabel(), QLabel()
        self.devices_label.setWordWrap(True)
        self.network_label.setObjectName("home_network")
        self.counts_message = ErrorMessage("home_counts_message")
        for w in (self.counts_message, self.sync_label, self.network_label, self.devices_label):
            layout.addWidget(w)
        layout.addStretch(1)
        # The processes of the UI spec (new, update, lost, correction) in a row that wraps where the
        # width runs out; under them the supervisor's end of day and the sync centre.
        actions = FlowLayout()
        self.new_button = button("", "action_new")
        self.flow_buttons = {
            f: button("", f"action_{f}", secondary=True) for f in ("update", "lost", "correction")
        }
        for flow, b in {"new": self.new_button, **self.flow_buttons}.items():
            actions.addWidget(b)
            b.clicked.connect(lambda _=False, f=flow: self.navigate.emit(wizard_screen(f)))
        layout.addLayout(actions)
        others = QHBoxLayout()
        self.eod_button = button("", "action_eod")
        self.sync_button = button("", "action_sync", secondary=True)
        self.fingerprint_button = button("", "action_fingerprint", secondary=True)  # My fingerprints
        for b in (self.eod_button, self.sync_button, self.fingerprint_button):
            others.addWidget(b)
        others.addStretch(1)
        layout.addLayout(others)
        self.eod_button.clicked.connect(lambda: self.navigate.emit("end_of_day"))
        self.sync_button.clicked.connect(lambda: self.navigate.emit("sync"))
        self.fingerprint_button.clicked.connect(self.open_fingerprints)
        ctx.ops.bus.changed.connect(self._on_change)
        self.retranslate()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A wide screen centres the home screen in FORM_MAX_WIDTH, as it does the form (margins, so
        the wrapped labels still ask for their height)."""
        side = max(0, (event.size().width() - FORM_MAX_WIDTH) // 2)
        m = self._margins
        self.layout().setContentsMargins(m.left() + side, m.top(), m.right() + side, m.bottom())
        super().resizeEvent(event)
        self._fit_cards()

    def _fit_cards(self) -> None:
        """Four cards a row where they fit (in this language and text size): one row fewer leaves the
        actions in view on a 768-high screen."""
        margins = self.layout().contentsMargins()
        room = self.width() - margins.left() - margins.right()
        widest = max(card.sizeHint().width() for card in self.cards.values())
        self._place_cards(4 if room - 3 * self.grid.horizontalSpacing() >= 4 * widest else 3)

    def _place_cards(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for i, key in enumerate(COUNT_KEYS):
            self.grid.addWidget(self.cards[key], i // columns, i % columns)  # moves a placed card
        for column in range(4):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)

    def entered(self) -> None:
        """Refresh the figures; the keyboard starts on the officer's main action (Enter starts it)."""
        self.refresh()
        self.retranslate()  # the role-dependent buttons are shown before one takes the focus
        main = self.new_button if not self.new_button.isHidden() else self.eod_button
        if not main.isHidden():
            main.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_change(self, changes: frozenset[str]) -> None:
        if changes & {"registrations", "master_data", "uploads", "session"} and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        ctx = self.ctx
        ctx.ops.run(lambda: read_home_figures(ctx), on_done=self._show, on_error=self._unreadable)

    def _unreadable(self, exc: Exception) -> None:
        """Nothing could be read (e.g. the store failed): every figure says so."""
        self._show({"counts": dict.fromkeys(COUNT_KEYS), "counts_error": exc, "online": None, "devices": []})

    def _show(self, figures: dict[str, Any]) -> None:
        self._figures, self._read = figures, True
        error = figures.get("counts_error")
        self.counts_message.show_error(self.ctx.t("home.counts_unreadable") if error else "", error)
        self.ctx.network_online = figures["online"]
        self.retranslate()

    def retranslate(self) -> None:
        t, ctx = self.ctx.t, self.ctx
        session = ctx.session
        self.title.setText(t("home.title", name=session.name if session else ""))
        side = Qt.AlignmentFlag.AlignRight if ctx.language.rtl else Qt.AlignmentFlag.AlignLeft
        for key, card in self.cards.items():
            value = self._figures["counts"].get(key)
            card.set(value, t(f"home.{key}"))
            if value is None and self._read:  # read and failed: words, not a dash or a blank
                card.number.setText(t("home.count_unreadable"))
            card.number.setAlignment(side | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter)
        synced = max(
            (w for w in (ctx.last_sync, self._figures.get("last_contact")) if w), key=_aware, default=None
        )
        when = _aware(synced).astimezone().strftime("%Y-%m-%d %H:%M") if synced else t("home.never")
        center, machine = self._figures.get("center"), self._figures.get("machine")
        self.place_label.setText(
            t("home.place", center=center, machine=machine) if center and machine else ""
        )
        self.place_label.setVisible(bool(center and machine))
        self.sync_label.setText(t("home.last_sync", when=when))
        online = self._figures["online"]
        state = t("home.unknown") if online is None else t("home.online" if online else "home.offline")
        mark = "?" if online is None else ("✔" if online else "✘")  # the state in words and a mark
        self.network_label.setText(f"{mark} {t('home.network', state=state)}")
        self.network_label.setProperty("online", "unknown" if online is None else str(online).lower())
        self.counts_message.retranslate(t)
        if self._figures.get("counts_error") is not None:
            self.counts_message.setText(t("home.counts_unreadable"))
        lang = ctx.language.code
        listing = t("list.separator").join(  # the tables hold the punctuation (French spaces its colon)
            t(
                "home.device_state",
                device=tr_code("device", name, lang),
                state=tr_code("device_status", status, lang),
            )
            for name, status in self._figures["devices"]
        )
        self.devices_label.setText(t("home.devices_line", list=listing or t("home.no_devices")))
        roles = session.roles if session else frozenset()
        screens = getattr(self.window(), "screens", {})
        self.new_button.setText(t("action.new"))
        flows = self._figures.get("flows") or []
        for flow, b in self.flow_buttons.items():
            b.setText(t(f"action.{flow}"))
            b.setVisible("operator" in roles and flow in flows and wizard_screen(flow) in screens)
        self.eod_button.setText(t("action.eod"))
        self.sync_button.setText(t("action.sync"))
        self.new_button.setVisible("operator" in roles)
        self.eod_button.setVisible("supervisor" in roles and "end_of_day" in screens)
        self.sync_button.setVisible("sync" in screens)
        self.fingerprint_button.setText(t("action.fingerprint"))
        self.fingerprint_button.setVisible(
            session is not None and getattr(ctx, "fingerprints", None) is not None
        )
        self._fit_cards()  # the labels' widths change with the language

    def open_fingerprints(self) -> None:
        """The signed-in user's own fingers on this kiosk (client.ui.screens.fingerprint_enrol)."""
        from client.ui.screens.fingerprint_enrol import FingerprintEnrolDialog

        self.fingerprint_dialog = FingerprintEnrolDialog(self.ctx, parent=self)
        self.fingerprint_dialog.open()


def _aware(when: datetime) -> datetime:
    """A naive time (the sync centre's local clock) as aware local time, so both kinds compare."""
    return when if when.tzinfo else when.astimezone()

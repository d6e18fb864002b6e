"""The kiosk's device bar: one line at the foot of the window naming each device and its state.

It follows the capture port (``client.core.capture.DeviceCapture``): every half second it compares the
port's ``version`` (bumped on each plug, unplug or status change, which the USB hot-plug monitor
triggers at once) and redraws only on a change, reading ``device_states()``, which never blocks. So a
plug or unplug shows within about a second. A device master data does not allow is listed as "not
allowed", with the reason in its tooltip, for the administrator to see. UI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from client.ui.i18n import tr, tr_code

MARKS = {
    "ready": "✔",
    "not allowed": "✘",
    "unplugged": "✘",
    "unavailable": "✘",
    "not ready": "…",
    "busy": "…",
}  # and words


class DeviceBar(QWidget):
    def __init__(self, ctx: Any) -> None:
        super().__init__(objectName="device_bar")
        self.ctx = ctx
        self.title = QLabel(objectName="device_bar_title")
        self.title.setProperty("role", "second")
        self.items = QLabel(objectName="device_bar_items", wordWrap=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.items, 1)
        self.states: list[Any] = []
        self._version: int | None = None
        self._timer = QTimer(self, interval=500, timeout=self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self, *, force: bool = False) -> None:
        devices = self.ctx.devices
        shown = devices is not None and hasattr(devices, "device_states")
        if self.parentWidget() is not None:  # shown before it has a parent, it would open as a window
            self.setVisible(shown)
        if not shown:
            return
        version = getattr(devices, "version", 0)
        if version == self._version and not force:
            return
        self._version = version
        self.states = list(devices.device_states())
        language = self.ctx.language.code
        self.title.setText(tr("devices.bar", language))
        words, tips = [], []
        for state in self.states:
            driver = state.key.removeprefix("driver:") if state.key.startswith("driver:") else ""
            name = state.name or tr_code("driver" if driver else "device", driver or state.modality, language)
            status = tr_code("device_status", state.status, language)
            words.append(
                f"{MARKS.get(state.status, '•')} {tr('devices.item', language, name=name, state=status)}"
            )
            if state.status == "not allowed":
                tips.append(f"{name} — {state.detail}. {tr('devices.not_allowed_hint', language)}")
            elif state.status == "unavailable":
                tips.append(f"{name} — {state.detail}")
        self.items.setText(tr("list.separator", language).join(words) or tr("devices.none", language))
        self.items.setToolTip("\n".join(tips))

    def retranslate(self) -> None:
        self.refresh(force=True)

"""The kiosk's top bar: brand and signed-in officer, the display choices (language, text size, high
contrast), Home and Lock. The display choices move to a second row when one row would not fit (a
1024-pixel screen in French, or at 150 % text), so nothing is ever cut off or pushed out."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from client.ui.display_settings import TEXT_SIZES
from client.ui.i18n import LANGUAGE_NAMES
from client.ui.widgets import button, wheel_only_when_focused


class TopBar(QWidget):
    """Widgets only; the main window connects them. UI thread."""

    def __init__(self) -> None:
        super().__init__(objectName="top_bar")
        self.brand = QLabel(objectName="brand")
        self.user_label = QLabel(objectName="user_label")
        self.language_box = wheel_only_when_focused(QComboBox(objectName="language"))
        for code, name in LANGUAGE_NAMES.items():
            self.language_box.addItem(name, code)
        self.text_size = wheel_only_when_focused(QComboBox(objectName="text_size"))
        for size in TEXT_SIZES:
            self.text_size.addItem("", size)
        self.contrast = QCheckBox(objectName="high_contrast")
        self.home_button = button("", "go_home", secondary=True)
        self.lock_button = button("", "lock_now", secondary=True)
        self.display = QWidget(objectName="display_choices")
        choices = QHBoxLayout(self.display)
        choices.setContentsMargins(0, 0, 0, 0)
        for w in (self.language_box, self.text_size, self.contrast):
            choices.addWidget(w)
        who = QVBoxLayout()
        who.setSpacing(0)
        who.addWidget(self.brand)
        who.addWidget(self.user_label)
        self.first = QHBoxLayout()
        self.first.addLayout(who)
        self.first.addStretch(1)
        self.first.addWidget(self.display)
        self.first.addWidget(self.home_button)
        self.first.addWidget(self.lock_button)
        self.second = QHBoxLayout()
        self.second.addStretch(1)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(self.first)
        rows.addLayout(self.second)

    def retranslate(self, t: Callable[..., str]) -> None:
        self.contrast.setText(t("action.contrast"))
        for i, size in enumerate(TEXT_SIZES):
            self.text_size.setItemText(i, t("text_size.percent", n=size))
        self.text_size.setToolTip(t("text_size.label"))
        self.text_size.setAccessibleName(t("text_size.label"))
        self.home_button.setText(t("action.home"))
        self.lock_button.setText(t("action.lock"))
        self.fit()

    def fit(self, width: int | None = None) -> None:
        """One row when everything fits in ``width`` (default: the bar's own), else the display choices
        on a second row."""
        width = width or self.width()
        shown = [
            w for w in (self.brand, self.display, self.home_button, self.lock_button) if not w.isHidden()
        ]
        spacing = max(self.first.spacing(), 0) * (len(shown) + 1)
        needed = sum(w.sizeHint().width() for w in shown) + spacing
        needed += max(0, self.user_label.sizeHint().width() - self.brand.sizeHint().width())
        one_row = needed <= width
        if one_row and self.second.indexOf(self.display) >= 0:
            self.second.removeWidget(self.display)
            self.first.insertWidget(self.first.indexOf(self.home_button), self.display)
        elif not one_row and self.first.indexOf(self.display) >= 0:
            self.first.removeWidget(self.display)
            self.second.addWidget(self.display)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit(event.size().width())

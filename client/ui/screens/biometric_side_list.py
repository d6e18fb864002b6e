"""The biometrics step's side list: one entry per capture group and one for the exception photo, each
with its state in words and a mark ("Left hand (4 fingers)" / "accepted ✔").

Up and Down select an entry (the page shows its panel); Enter or a double click opens it (``opened``:
the page moves the focus into that panel). The list follows the layout direction like any widget.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem

_KEY = Qt.ItemDataRole.UserRole


class BiometricSideList(QListWidget):
    """Entries keyed by capture group (or ``exception_photo``); ``selected``/``opened`` carry the key."""

    selected = Signal(str)
    opened = Signal(str)

    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.setObjectName("bio_side_list")
        self.setWordWrap(True)
        self.setMinimumWidth(200)  # its entries wrap; the panel beside needs the room for its bars
        self.setMaximumWidth(300)
        self.setSpacing(4)
        for key in keys:
            item = QListWidgetItem()
            item.setData(_KEY, key)
            self.addItem(item)
        self.currentItemChanged.connect(lambda item, _old: item and self.selected.emit(item.data(_KEY)))
        self.itemActivated.connect(lambda item: self.opened.emit(item.data(_KEY)))

    def entries(self) -> list[str]:
        return [self.item(i).data(_KEY) for i in range(self.count())]

    def current_key(self) -> str | None:
        item = self.currentItem()
        return item.data(_KEY) if item is not None else None

    def select(self, key: str) -> None:
        """Make ``key`` the current entry (emits ``selected`` when it changes)."""
        self.setCurrentRow(self.entries().index(key))

    def set_entry(self, key: str, title: str, status: str) -> None:
        """Show ``title`` over ``status`` for ``key``; screen readers read both."""
        item = self.item(self.entries().index(key))
        item.setText(f"{title}\n{status}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}: {status}")

    def status_of(self, key: str) -> str:
        """The status line shown for ``key`` (for tests and screen readers)."""
        return self.item(self.entries().index(key)).text().split("\n", 1)[-1]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.opened.emit(self.current_key() or "")
            return
        super().keyPressEvent(event)

"""Small shared widgets: titles, cards, error labels, big buttons."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget


def title_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "title")
    return label


def error_label(name: str) -> QLabel:
    label = QLabel()
    label.setProperty("role", "error")
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def button(text: str, name: str, *, secondary: bool = False) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    if secondary:
        b.setProperty("secondary", True)
    return b


class CountCard(QFrame):
    """A big number with a caption (home screen)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.setObjectName(f"card_{name}")
        layout = QVBoxLayout(self)
        self.number = QLabel("–")
        self.number.setProperty("role", "count")
        self.number.setObjectName(f"count_{name}")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)

    def set(self, value: int | None, caption: str) -> None:
        self.number.setText("–" if value is None else str(value))
        self.caption.setText(caption)

"""Small shared widgets: titles, cards, error labels, big buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QFrame,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class _WheelGuard(QObject):
    """Drops wheel events on an unfocused input and lets them go on to the scrolling page."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            area = watched.parentWidget()
            while area is not None and not isinstance(area, QAbstractScrollArea):
                area = area.parentWidget()
            if area is not None:  # handed on explicitly: Qt does not propagate a synthesised wheel
                QApplication.sendEvent(area.viewport(), event)
            else:
                event.ignore()  # a real wheel event then goes on to the parent
            return True
        return super().eventFilter(watched, event)


def wheel_only_when_focused(widget: QWidget) -> QWidget:
    """Scrolling a long form past a dropdown (or spin/date box) must never change its value.

    The widget no longer takes focus from the wheel, and a wheel turn over it while unfocused scrolls
    the page instead. Returns the widget so it can wrap a constructor call.
    """
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_WheelGuard(widget))
    return widget


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


def confirm(
    parent: QWidget, *, name: str, title: str, text: str, yes: str, no: str, on_yes: Callable[[], None]
) -> QMessageBox:
    """Ask a worded yes/no question without blocking (the box is window-modal, opened, not exec'd);
    ``on_yes`` runs only on Yes. No is the default and Escape, so a stray Enter loses nothing.
    The buttons are named ``{name}_yes`` / ``{name}_no``."""
    box = QMessageBox(QMessageBox.Icon.Question, title, title, QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(text)  # the question itself shows in the box too: a kiosk may have no title bar
    box.setObjectName(name)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.YesRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.NoRole)
    yes_button.setObjectName(f"{name}_yes")
    no_button.setObjectName(f"{name}_no")
    for choice in (yes_button, no_button):  # the theme's padding is not in the width the box lays out
        choice.setMinimumWidth(choice.fontMetrics().horizontalAdvance(choice.text()) + 64)
    box.setDefaultButton(no_button)
    box.setEscapeButton(no_button)
    box.buttonClicked.connect(lambda clicked: on_yes() if clicked is yes_button else None)
    box.open()
    return box


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

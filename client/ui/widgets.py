"""Small shared widgets: titles, cards, error labels (with details), big buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


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


class ErrorMessage(QWidget):
    """One worded sentence for the officer, with the technical text behind a "Details" button (selectable,
    for support) and in the log. Reads like an error label: ``setText``, ``text``, ``clear``.
    UI thread only."""

    _log = logging.getLogger("client.ui.errors")

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.label = error_label(f"{name}_text")
        self.toggle = button("", f"{name}_details_button", secondary=True)
        self.toggle.setCheckable(True)
        self.toggle.hide()
        row.addWidget(self.toggle)  # under the sentence, not beside it: a wrapped label beside a
        row.addStretch(1)  # button is laid out wider than its room and runs under the button
        # read-only text box, not a label: a long exception text scrolls instead of being cut off
        self.detail = QPlainTextEdit(objectName=f"{name}_details", readOnly=True)
        self.detail.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # long URLs too
        self.detail.setFixedHeight(self.detail.fontMetrics().lineSpacing() * 5 + 16)
        self.detail.hide()
        layout.addWidget(self.label)
        layout.addLayout(row)
        layout.addWidget(self.detail)
        self._t: Callable[..., str] = lambda key, **kw: key
        self.toggle.toggled.connect(self._toggled)

    def setText(self, sentence: str) -> None:
        """The sentence alone; the details stay as they are (a language switch re-words only this)."""
        self.label.setText(sentence)

    def text(self) -> str:
        return self.label.text()

    def details(self) -> str:
        return self.detail.toPlainText()

    def set_details(self, exc: BaseException | None) -> None:
        """Put ``exc``'s technical text behind the Details button and in the log (None: no details)."""
        technical = f"{type(exc).__name__}: {exc}" if exc is not None else ""
        if exc is not None:
            self._log.warning("%s", self.text() or technical, exc_info=exc)
        self.detail.setPlainText(technical)
        self.toggle.setChecked(False)
        self.toggle.setVisible(bool(technical))

    def show_error(self, sentence: str, exc: BaseException | None) -> None:
        """``sentence`` for the officer, ``exc`` behind Details and in the log."""
        self.setText(sentence)
        self.set_details(exc)

    def clear(self) -> None:
        self.show_error("", None)

    def retranslate(self, t: Callable[..., str]) -> None:
        self._t = t
        self._toggled(self.toggle.isChecked())

    def _toggled(self, shown: bool) -> None:
        self.detail.setVisible(shown and bool(self.details()))
        self.toggle.setText(self._t("details.hide" if shown else "details.show"))

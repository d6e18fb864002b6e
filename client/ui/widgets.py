"""Small shared widgets: titles, cards, error labels (with details), big buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent, QTextOption
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QApplication,
    QBoxLayout,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
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


class EnterClicksFocusedButton(QObject):
    """Enter (or keypad Enter) on a focused push button clicks it, in screens as in dialogs: Qt only does
    that for a dialog's auto-default buttons, and Space is not what a kiosk officer reaches for.
    Install on the application once (:meth:`QApplication.installEventFilter`); UI thread."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(watched, QPushButton)
            and watched.hasFocus()
            and watched.isEnabled()
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            watched.animateClick()
            return True
        return super().eventFilter(watched, event)


class ScreenFrame(QScrollArea):
    """Holds one screen at the window's size, or at the screen's minimum size where that is larger
    (large text on a small window), which then scrolls instead of squeezing the screen's rows.
    Unlike a resizable scroll area it never sizes the screen by height-for-width, which would lay a
    screen with a wrapped label at its preferred, not its minimum, height. UI thread."""

    def __init__(self, screen: QWidget, *, name: str) -> None:
        super().__init__(objectName=name)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(screen)
        screen.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:  # a hidden screen's layout changes wait till now
        super().showEvent(event)
        self._fit()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return super().viewportEvent(event)

    def _fit(self) -> None:
        screen, room = self.widget(), self.maximumViewportSize()
        least = screen.minimumSizeHint().expandedTo(screen.minimumSize())
        layout = screen.layout()

        def least_height(width: int) -> int:  # wrapped labels need more height when narrower
            wraps = layout is not None and layout.hasHeightForWidth()
            return max(least.height(), layout.minimumHeightForWidth(width) if wraps else 0)

        width = max(room.width(), least.width())
        if least_height(width) > room.height():  # a vertical scroll bar takes its width from the screen
            width = max(room.width() - self.verticalScrollBar().sizeHint().width(), least.width())
        screen.resize(width, max(room.height(), least_height(width)))


class PageStack(QStackedWidget):
    """A stack of pages that asks for the room of the page on screen only (Qt's asks for its largest
    page's), so a wide page at large text does not widen the others."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(self._size_to)

    def addWidget(self, page: QWidget) -> int:
        index = super().addWidget(page)
        self._size_to(self.currentIndex())
        return index

    def _size_to(self, index: int) -> None:
        for i in range(self.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.widget(i).setSizePolicy(policy, policy)


def scroll_by_page(page: QWidget | None, *, down: bool) -> None:
    """Page Down / Page Up on ``page``: scroll it (or its first scroll area) by one page; a focused
    dropdown keeps its value."""
    areas = [page] if isinstance(page, QScrollArea) else page.findChildren(QScrollArea) if page else []
    if areas:
        step = (
            QAbstractSlider.SliderAction.SliderPageStepAdd
            if down
            else QAbstractSlider.SliderAction.SliderPageStepSub
        )
        areas[0].verticalScrollBar().triggerAction(step)


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


def dialog_buttons(
    dialog: QDialog,
    layout: QBoxLayout,
    *,
    cancel: tuple[str, str],
    ok: tuple[str, str],
    on_ok: Callable[[], None],
) -> QPushButton:
    """A dialog's Cancel (start) and OK (end) row, added to ``layout``; returns the OK button. Enter in
    any field presses OK, never Cancel: Qt would otherwise make the first button the default."""
    row = QHBoxLayout()
    cancel_button = button(cancel[0], cancel[1], secondary=True)
    ok_button = button(ok[0], ok[1])
    cancel_button.setAutoDefault(False)
    ok_button.setDefault(True)
    row.addWidget(cancel_button)
    row.addStretch(1)
    row.addWidget(ok_button)
    layout.addLayout(row)
    cancel_button.clicked.connect(dialog.reject)
    ok_button.clicked.connect(on_ok)
    return ok_button


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
        choice.ensurePolished()
        text_width = choice.fontMetrics().horizontalAdvance(choice.text()) + 64
        choice.setMinimumWidth(max(text_width, choice.sizeHint().width()))
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

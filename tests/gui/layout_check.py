"""Find what a screen does not fit: a one-line label, button or check box narrower than its text, or a
widget lying (partly) outside the window. Generic over the widget tree, like tests/gui/ui_walk.py."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QLabel,
    QProgressBar,
    QScrollArea,
    QWidget,
)


def _scrolled_content(w: QWidget) -> QWidget | None:
    """The content widget of the nearest scroll area ``w`` lies in (the viewport's child), if any."""
    child, parent = w, w.parentWidget()
    while parent is not None and not child.isWindow():  # a dialog's widgets lie in the dialog
        if (
            isinstance(parent.parentWidget(), QAbstractScrollArea)
            and parent is parent.parentWidget().viewport()
        ):
            return child
        child, parent = parent, parent.parentWidget()
    return None


def layout_problems(root: QWidget, *, may_scroll: bool = False) -> list[str]:
    """What in ``root`` (a shown window) is clipped or outside it. A screen's frame (the main window's
    ``frame_<name>`` scroll area) may scroll vertically only when ``may_scroll`` (large text), and
    never sideways."""
    problems = []
    window = root.window()
    bounds = QRect(0, 0, window.width(), window.height()).adjusted(-1, -1, 1, 1)
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or (w.isWindow() and w is not window):
            continue
        where = f"{type(w).__name__}#{w.objectName() or '?'}"
        frame = isinstance(w, QAbstractScrollArea) and w.objectName().startswith("frame_")
        screen = w.widget() if frame else None  # larger than the frame: it scrolls (or is cut off)
        wider = screen is not None and screen.width() > w.viewport().width()
        taller = screen is not None and screen.height() > w.viewport().height()
        if frame and (
            w.horizontalScrollBar().isVisible()
            or wider
            or ((w.verticalScrollBar().isVisible() or taller) and not may_scroll)
        ):
            problems.append(f"{where}: the screen does not fit; it scrolls")
        if isinstance(w, QProgressBar) and w.isTextVisible() and w.text():  # a bar that words its value
            need = w.fontMetrics().horizontalAdvance(w.text()) + 8
            if need > w.contentsRect().width():
                problems.append(f"{where}: {w.text()!r} needs {need}px, has {w.contentsRect().width()}px")
        if isinstance(w, QScrollArea) and not frame and w.horizontalScrollBar().isVisible():
            problems.append(f"{where}: scrolls sideways")
        if isinstance(w, QLabel | QAbstractButton) and w.text():
            need_h = w.heightForWidth(w.width()) if w.hasHeightForWidth() else w.minimumSizeHint().height()
            if w.height() + 1 < need_h:
                problems.append(f"{where}: {w.text()!r} needs {need_h}px high, has {w.height()}px")
        text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
        if text and isinstance(w, QLabel) and not w.wordWrap() and w.pixmap().isNull():
            need = max(w.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
            if need > w.contentsRect().width() + 1:
                problems.append(f"{where}: {text!r} needs {need}px, has {w.contentsRect().width()}px")
        elif text and isinstance(w, QAbstractButton | QCheckBox) and w.width() < w.sizeHint().width():
            problems.append(f"{where}: {text!r} needs {w.sizeHint().width()}px, has {w.width()}px")
        content = None if w.isWindow() else _scrolled_content(w)
        if content is not None and content is not w:  # may lie outside the window, not outside its page
            box = QRect(w.mapTo(content, w.rect().topLeft()), w.size())
            if not content.rect().adjusted(-1, -1, 1, 1).contains(box):
                problems.append(
                    f"{where}: at {box.getRect()} outside its {content.width()}×{content.height()} page"
                )
        if w.isWindow() or content is not None:
            continue
        box = QRect(w.mapTo(window, w.rect().topLeft()), w.size())
        if not bounds.contains(box):
            problems.append(
                f"{where}: at {box.getRect()} outside the {window.width()}×{window.height()} window"
            )
    return problems

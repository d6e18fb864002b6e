"""A row of buttons that wraps onto further lines where the width runs out (large text, a narrow
screen), instead of widening the screen so that it scrolls sideways. UI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Items at their preferred size, left to right (right to left in Arabic), wrapping to a new line
    when the next does not fit. Height for width, so a screen asks for the lines it needs. With
    ``end_last`` the last item keeps to the far end of its line (a row's main action, apart)."""

    def __init__(self, parent: QWidget | None = None, *, end_last: bool = False, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._end_last = end_last
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        items, m = self._shown(), self.contentsMargins()
        width = sum(i.sizeHint().width() for i in items) + self.spacing() * max(len(items) - 1, 0)
        height = max((i.sizeHint().height() for i in items), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """The widest item alone on its line."""
        items, m = self._shown(), self.contentsMargins()
        width = max((i.sizeHint().width() for i in items), default=0)
        height = max((i.sizeHint().height() for i in items), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def _place(self, rect: QRect, *, move: bool) -> int:
        """Lay the items into ``rect`` (only measure unless ``move``); the height that takes."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        items, gap = self._shown(), self.spacing()
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in items:
            width = min(item.sizeHint().width(), area.width())
            if lines[-1] and used + gap + width > area.width():
                lines.append([])
                used = 0
            used += (gap if lines[-1] else 0) + width
            lines[-1].append(item)
        parent = self.parentWidget()
        mirrored = parent is not None and parent.layoutDirection() == Qt.LayoutDirection.RightToLeft
        y = area.y()
        for line in lines:
            height = max((i.sizeHint().height() for i in line), default=0)
            x = 0
            for item in line:
                size = QSize(min(item.sizeHint().width(), area.width()), height)
                if self._end_last and item is items[-1]:
                    x = max(x, area.width() - size.width())
                left = area.x() + (area.width() - x - size.width() if mirrored else x)
                if move:
                    item.setGeometry(QRect(left, y, size.width(), size.height()))
                x += size.width() + gap
            y += height + gap
        return max(y - gap - area.y(), 0) + m.top() + m.bottom()

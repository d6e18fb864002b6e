"""A drawn hand (or pair of hands, or pair of eyes) on which the officer marks a finger or eye missing.

Each finger or eye is its own checkable widget (:class:`SlotMark`, a QAbstractButton): click it, or Tab
to it and press Space or Enter, to toggle the mark; the arrow keys move between the marks of one diagram.
Its accessible name is the slot's name in the kiosk language and its description says whether it is
marked. Everything is painted with QPainter from the palette (no image files), so the high-contrast theme
applies. RTL-safe: the drawing shows the applicant's hands palm down as they lie on the scanner (left hand
on the left), so the geometry is fixed and never mirrored with an Arabic layout; only the words around it
are.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QKeyEvent, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QAbstractButton, QWidget

from client.core.registration.biometrics import CAPTURE_GROUPS

_W, _GAP = 38, 8  # a finger's width and the space between fingers
_HEIGHTS = {"Index": 92, "Middle": 104, "Ring": 94, "Little": 72}
_PALM_TOP, _PALM_H = 112, 56


def _slap(side: str) -> tuple[list[tuple[str, QRect]], list[QRect], QRect]:
    """Four fingers over a palm, seen from above with the palm down: the thumb side is inward."""
    names = ["Index", "Middle", "Ring", "Little"]
    order = names if side == "Right" else names[::-1]
    x0 = 52 if side == "Right" else 8
    slots = []
    for i, name in enumerate(order):
        height = _HEIGHTS[name]
        slots.append(
            (f"{side} {name}Finger", QRect(x0 + i * (_W + _GAP), _PALM_TOP + 8 - height, _W, height))
        )
    palm = QRect(x0 - 4, _PALM_TOP, 4 * _W + 3 * _GAP + 8, _PALM_H)
    stub = (
        QRect(8, _PALM_TOP + 10, 40, 30)
        if side == "Right"
        else QRect(palm.right() + 2, _PALM_TOP + 10, 40, 30)
    )
    return slots, [palm], stub


def _thumbs() -> tuple[list[tuple[str, QRect]], list[QRect], QRect | None]:
    """Both thumbs side by side, as a two-thumb capture lays them: each palm outward, the thumbs inward."""
    left, right = QRect(8, _PALM_TOP, 96, _PALM_H), QRect(164, _PALM_TOP, 96, _PALM_H)
    return (
        [("Left Thumb", QRect(86, 36, 44, 84)), ("Right Thumb", QRect(138, 36, 44, 84))],
        [left, right],
        None,
    )


def _eyes() -> tuple[list[tuple[str, QRect]], list[QRect], QRect | None]:
    """The applicant's eyes, left eye on the left like the hands."""
    return [("Left", QRect(12, 50, 110, 64)), ("Right", QRect(146, 50, 110, 64))], [], None


def layout_for(group: str) -> tuple[list[tuple[str, QRect]], list[QRect], QRect | None]:
    """(subtype and its rectangle, palms, a faint thumb stub) of ``group``'s drawing."""
    if group == "left_slap":
        return _slap("Left")
    if group == "right_slap":
        return _slap("Right")
    if group == "thumbs":
        return _thumbs()
    if group == "irises":
        return _eyes()
    raise ValueError(f"{group} has nothing to mark")


class SlotMark(QAbstractButton):
    """One finger or eye, painted; checked = marked missing."""

    def __init__(self, subtype: str, eye: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.subtype, self.eye = subtype, eye
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setObjectName(f"exception_{subtype.replace(' ', '_')}")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Right, Qt.Key.Key_Down):
            step = -1 if key in (Qt.Key.Key_Left, Qt.Key.Key_Up) else 1
            parent = self.parentWidget()
            if isinstance(parent, HandDiagram):
                parent.move_focus(self, step)
        else:
            super().keyPressEvent(event)

    def _outline(self) -> QPainterPath:
        box = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        path = QPainterPath()
        if self.eye:
            path.moveTo(box.left(), box.center().y())
            path.quadTo(box.center().x(), box.top() - box.height() * 0.45, box.right(), box.center().y())
            path.quadTo(box.center().x(), box.bottom() + box.height() * 0.45, box.left(), box.center().y())
        else:
            path.addRoundedRect(box, box.width() / 2, box.width() / 2)
        return path

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()  # an exception must not leave the painter active (Qt would crash)

    def _paint(self, p: QPainter) -> None:
        pal = self.palette()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = self._outline()
        ink = pal.color(QPalette.ColorRole.WindowText)
        p.setPen(QPen(ink, 2))
        p.setBrush(pal.color(QPalette.ColorRole.Button if not self.isChecked() else QPalette.ColorRole.Mid))
        p.drawPath(outline)
        box = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        if self.eye and not self.isChecked():
            side = box.height() * 0.6
            iris = QRectF(box.center().x() - side / 2, box.center().y() - side / 2, side, side)
            p.setBrush(pal.color(QPalette.ColorRole.Dark))
            p.drawEllipse(iris)
            p.setBrush(ink)
            p.drawEllipse(iris.adjusted(side * 0.3, side * 0.3, -side * 0.3, -side * 0.3))
        elif not self.eye and not self.isChecked():  # the nail
            nail = QRectF(
                box.left() + box.width() * 0.22, box.top() + 6, box.width() * 0.56, box.width() * 0.5
            )
            p.setBrush(pal.color(QPalette.ColorRole.Base))
            p.drawRoundedRect(nail, 5, 5)
        if self.isChecked():  # hatched and crossed out: marked missing (not by colour alone)
            p.setBrush(QBrush(ink, Qt.BrushStyle.BDiagPattern))
            p.drawPath(outline)
            pen = QPen(ink, 4)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            arm = min(box.width(), box.height()) * 0.35
            c = box.center()
            p.drawLine(c + QPointF(-arm, -arm), c + QPointF(arm, arm))
            p.drawLine(c + QPointF(-arm, arm), c + QPointF(arm, -arm))
        if self.hasFocus():
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 4))
            p.drawPath(outline)


class HandDiagram(QWidget):
    """The marks of one capture group; ``marks`` by subtype. The owner connects each mark's ``toggled``."""

    def __init__(self, group: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.setObjectName(f"diagram_{group}")
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # anatomy does not mirror
        slots, self.palms, self.stub = layout_for(group)
        eye = CAPTURE_GROUPS[group][0] == "iris"
        self.marks: dict[str, SlotMark] = {}
        for subtype, rect in slots:
            mark = SlotMark(subtype, eye, self)
            mark.setGeometry(rect)
            self.marks[subtype] = mark
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(268, _PALM_TOP + _PALM_H + 4)

    def move_focus(self, mark: SlotMark, step: int) -> None:
        """Focus the next (``step`` 1) or previous (-1) mark in drawing order, wrapping around."""
        order = sorted(self.marks.values(), key=lambda m: m.x())
        order[(order.index(mark) + step) % len(order)].setFocus(Qt.FocusReason.TabFocusReason)

    def paintEvent(self, _event) -> None:
        if not self.palms:
            return
        pal = self.palette()
        p = QPainter(self)
        try:
            self._paint_palms(p, pal)
        finally:
            p.end()

    def _paint_palms(self, p: QPainter, pal: QPalette) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(pal.color(QPalette.ColorRole.WindowText), 2))
        p.setBrush(pal.color(QPalette.ColorRole.Button))
        for palm in self.palms:
            p.drawRoundedRect(QRectF(palm), 18, 18)
        if self.stub is not None:  # the thumb, not part of this capture: dashed
            p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(self.stub), 14, 14)

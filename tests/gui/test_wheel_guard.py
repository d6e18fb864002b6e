"""The mouse wheel never changes an unfocused dropdown while the officer scrolls a long form."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QVBoxLayout, QWidget

from client.ui.widgets import wheel_only_when_focused


def _wheel(widget: QWidget, steps: int = -1) -> None:
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _long_page(qtbot) -> tuple[QScrollArea, QComboBox]:
    page = QWidget()
    layout = QVBoxLayout(page)
    combo = wheel_only_when_focused(QComboBox())
    combo.addItems(["choose", "Female", "Male"])
    layout.addWidget(combo)
    for _ in range(40):
        layout.addWidget(QComboBox())
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(page)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area, combo


def test_wheel_over_an_unfocused_dropdown_scrolls_the_page_instead(qtbot):
    area, combo = _long_page(qtbot)
    assert not combo.hasFocus()
    _wheel(combo)
    assert combo.currentIndex() == 0
    assert area.verticalScrollBar().value() > 0
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not focus it either


def test_a_focused_dropdown_still_takes_the_wheel(qtbot):
    area, combo = _long_page(qtbot)
    area.activateWindow()
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    _wheel(combo)
    assert combo.currentIndex() == 1

"""A row of actions wraps onto a second line where the width runs out, keeps its main action at the
far end, and mirrors in Arabic (client/ui/flow_layout.py)."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from client.ui.flow_layout import FlowLayout


def _row(qtbot, width: int, direction=Qt.LayoutDirection.LeftToRight):
    host = QWidget()
    host.setLayoutDirection(direction)
    qtbot.addWidget(host)
    flow = FlowLayout(host, end_last=True)
    buttons = [QPushButton(text) for text in ("Open…", "Reject…", "Approve all")]
    for b in buttons:
        b.setFixedWidth(100)
        flow.addWidget(b)
    host.resize(width, flow.heightForWidth(width))
    host.show()
    qtbot.waitExposed(host)
    return host, flow, buttons


def test_one_line_when_wide_the_last_at_the_end(qtbot):
    _host, flow, (first, second, last) = _row(qtbot, 500)
    assert first.y() == second.y() == last.y() and first.x() == 0 and last.geometry().right() == 499
    assert flow.heightForWidth(500) == first.height()


def test_wraps_when_narrow_and_mirrors_right_to_left(qtbot):
    _host, flow, (first, second, last) = _row(qtbot, 250, Qt.LayoutDirection.RightToLeft)
    assert first.y() == second.y() < last.y()  # two lines, nothing squeezed
    assert first.geometry().right() == 249 and second.x() < first.x()
    assert flow.heightForWidth(250) > flow.heightForWidth(500)
    assert flow.minimumSize().width() == 100

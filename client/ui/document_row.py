"""One document field's row on the documents page: its widgets, their places and their words.

    [thumbnail = View] | label *            | [type list: "Choose the document type…"]
                       | [From file…] [Camera] [Remove]
                       | ✔ name · kind · size
                       | message (a line kept for it)

Every widget has its size from the start (the thumbnail a fixed frame, the buttons wide enough for
both of their words), so attaching, replacing or removing a document moves nothing. The page wires
the signals and keeps the registration; this holds no state of its own. UI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from client.core.registration.workflow import Document
from client.ui.document_thumbnail import DocumentThumbnail, document_kind
from client.ui.flow_layout import FlowLayout
from client.ui.i18n import tr
from client.ui.widgets import button, error_label, wheel_only_when_focused

STATUS_WIDTH = 340  # px: room for "✔ name · kind · size", elided in the middle


class DocumentRow:
    """The widgets of one document field (object names end in the field id, for tests and tours)."""

    def __init__(self, field_id: str, *, with_camera: bool, scanner: bool = False) -> None:
        # the device button says Scanner / Scan again with document scanners, else Camera / Recapture
        self._device_words = ("docs.scanner", "docs.rescan") if scanner else ("docs.camera", "docs.recapture")
        self.label = QLabel(wordWrap=True)  # a long proof name takes two lines, not the row's width
        self.combo = QComboBox(objectName=f"doctype_{field_id}")
        wheel_only_when_focused(self.combo)
        self.combo.setMinimumWidth(220)  # set, so a long placeholder or type is cut, not the page widened
        self.combo.setMaximumWidth(480)  # a wide screen does not stretch it across the page
        self.thumbnail = DocumentThumbnail(f"docview_{field_id}")
        self.status = QLabel(objectName=f"docstatus_{field_id}")
        self.status.setFixedWidth(STATUS_WIDTH)
        self.error = error_label(f"error_{field_id}")
        self.file = button("", f"docfile_{field_id}", secondary=True)
        self.camera = button("", f"doccamera_{field_id}", secondary=True)
        self.remove = button("", f"docremove_{field_id}", secondary=True)
        if not with_camera:  # hide only: showing a button before it has a parent opens it as a window
            self.camera.hide()
        self.bar, self.notes = QWidget(), QWidget()
        line = FlowLayout(self.bar)  # the actions wrap onto a second line where the row is narrow
        for action in (self.file, self.camera, self.remove):
            action.setAutoDefault(True)  # Enter presses the focused action, as Space does
            line.addWidget(action)
        below = QVBoxLayout(self.notes)  # a one-line message takes its reserved line: nothing moves
        below.setContentsMargins(0, 0, 0, 14)  # room between one document and the next
        below.setSpacing(2)
        below.addWidget(self.status)
        below.addWidget(self.error)

    def place(self, grid: QGridLayout, row: int) -> None:
        """Put the row into ``grid`` at ``row`` (it takes three grid rows, columns 0 to 2)."""
        grid.addWidget(self.thumbnail, row, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.label, row, 1)
        grid.addWidget(self.combo, row, 2)
        grid.addWidget(self.bar, row + 1, 1, 1, 2)
        grid.addWidget(self.notes, row + 2, 1, 1, 2)

    def widgets(self) -> list[QWidget]:
        return [self.thumbnail, self.label, self.combo, self.bar, self.notes]

    def set_applies(self, applies: bool) -> None:
        for widget in self.widgets():
            widget.setVisible(applies)

    def chosen_type(self) -> str | None:
        """The document type the officer chose, None while none is (there is no default)."""
        return self.combo.currentData() or None

    def set_types(self, types: list[tuple[str, str]], *, keep: str | None, language: str) -> None:
        """Fill the type list with (words, id) pairs; ``keep`` stays chosen, else nothing is."""
        self.combo.blockSignals(True)  # rebuilding the list is not the officer choosing a type
        self.combo.clear()
        self.combo.setPlaceholderText(tr("docs.choose_type", language))
        for words, type_id in types:
            self.combo.addItem(words, type_id)
        self.combo.setCurrentIndex(self.combo.findData(keep) if keep else -1)  # -1: nothing chosen yet
        self.combo.blockSignals(False)

    def retranslate(self, label: str, language: str) -> None:
        self.label.setText(label)
        _fit(self.file, [tr("docs.pick", language), tr("docs.replace", language)])
        _fit(self.camera, [tr(words, language) for words in self._device_words])
        self.remove.setText(tr("docs.remove", language))

    def show(
        self, doc: Document | None, language: str, *, pages: int | None = None, picture: bytes | None = None
    ) -> None:
        """Show the attached document (thumbnail, name, size) or the empty frame; a scanned document
        gives its page count and its first page as ``picture`` (Qt cannot draw a PDF)."""
        self.thumbnail.show_document(
            doc, view_text=tr("docs.view", language), empty_text=tr("docs.none", language), picture=picture
        )
        self.remove.setEnabled(doc is not None)
        self.file.setText(tr("docs.replace" if doc else "docs.pick", language))
        self.camera.setText(tr(self._device_words[1] if doc else self._device_words[0], language))
        if doc is None:
            self.status.setText("\u00a0")  # blank, yet a line tall: nothing moves when a name comes
            self.status.setToolTip("")
            return
        size = tr("docs.size_kib", language, n=max(1, len(doc.data) // 1024))
        count = f" · {tr('docs.pages_n', language, n=pages)}" if pages else ""
        text = f"✔ {doc.name} · {document_kind(doc)}{count} · {size}"
        metrics = self.status.fontMetrics()
        self.status.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, STATUS_WIDTH))
        self.status.setToolTip(doc.name)


def _fit(action: QPushButton, texts: list[str]) -> None:
    """Make ``action`` wide enough for each of its texts, so changing between them moves nothing."""
    action.setMinimumWidth(0)
    widths = []
    for text in texts:
        action.setText(text)
        widths.append(action.sizeHint().width())
    action.setMinimumWidth(max(widths))

"""What an attached document looks like on the documents page: a fixed-size thumbnail and a large view.

Image documents are scaled; anything Qt cannot draw (a PDF) gets a plain page icon. The thumbnail's
size is fixed for both of its words in the current font (set again when the text size changes), so
attaching a document never moves the page. UI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QToolButton, QVBoxLayout, QWidget

from client.core.registration.workflow import Document

THUMBNAIL = QSize(120, 80)


def document_picture(document: Document, first_page: bytes | None = None) -> QPixmap | None:
    """The document's own picture (or ``first_page``, the image of a scanned PDF's first page), or None
    when it is not an image Qt can read (a PDF from a file)."""
    if first_page is None and not document.content_type.startswith("image/"):
        return None
    picture = QPixmap()
    return picture if picture.loadFromData(first_page or document.data) else None


def page_icon(size: QSize, kind: str) -> QPixmap:
    """A generic page with a folded corner and ``kind`` (say "PDF") written on it."""
    icon = QPixmap(size)
    icon.fill(Qt.GlobalColor.transparent)
    height = size.height() * 0.9
    width, fold = height * 0.75, height * 0.22
    left, top = (size.width() - width) / 2, (size.height() - height) / 2
    painter = QPainter(icon)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#44515e"), max(1.0, height / 60)))
    painter.setBrush(QColor("#ffffff"))
    outline = [(0, 0), (width - fold, 0), (width, fold), (width, height), (0, height)]
    painter.drawPolygon(QPolygonF([QPointF(left + x, top + y) for x, y in outline]))
    corner = [(width - fold, 0), (width - fold, fold), (width, fold)]
    painter.drawPolyline(QPolygonF([QPointF(left + x, top + y) for x, y in corner]))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(max(8, int(height / 5)))
    painter.setFont(font)
    painter.setPen(QColor("#b00020"))
    painter.drawText(QRectF(left, top + height / 2, width, height / 3), Qt.AlignmentFlag.AlignCenter, kind)
    painter.end()
    return icon


def document_kind(document: Document) -> str:
    """A short file kind for the officer: PDF, JPG, PNG…"""
    return document.content_type.split("/")[-1].upper().replace("JPEG", "JPG")


class DocumentThumbnail(QToolButton):
    """The View action: a fixed-size button showing the attached document's picture above the word
    View (Enter, Space or a tap opens it); disabled, with ``docs.none``, while nothing is attached."""

    def __init__(self, name: str) -> None:
        self.document: Document | None = None
        self._words = ("", "")  # (view, empty): set before any change event can ask for them
        super().__init__(objectName=name)
        self._twin = _measuring_twin(self)
        self.setFixedSize(THUMBNAIL + QSize(12, 36))  # until it has its words (show_document)
        self.setIconSize(THUMBNAIL)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # the theme styles push buttons only: a frame, dashed while empty, and a focus ring like theirs
        self.setStyleSheet(
            "QToolButton { border: 2px solid palette(mid); border-radius: 6px; padding: 2px; }"
            "QToolButton:disabled { border-style: dashed; }"
            "QToolButton:focus { border: 3px solid palette(highlight); }"
        )

    def show_document(
        self, document: Document | None, *, view_text: str, empty_text: str, picture: bytes | None = None
    ) -> None:
        """Show ``document`` (decoded once per document; ``picture`` stands for a PDF's first page), or
        ``empty_text`` when there is none."""
        self.setEnabled(document is not None)
        self._words = (view_text, empty_text)
        self._fit(shown=document is not None)
        self.setToolTip(document.name if document is not None else "")
        if document is None:
            self.document = None
            self.setIcon(QIcon())
            return
        if document is not self.document:
            self.document = document
            picture = document_picture(document, picture)  # type: ignore[assignment]
            self.setIcon(
                QIcon(
                    picture.scaled(
                        THUMBNAIL,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                    if picture is not None
                    else page_icon(THUMBNAIL, document_kind(document))
                )
            )

    def _fit(self, *, shown: bool) -> None:
        """Wrap the empty text to the picture's width and fix the size to hold either text below it.

        Measured on a hidden twin that always has a picture (without one the hint leaves its room out),
        so the button's own icon is never swapped while a style or font change is being delivered."""
        view_text, empty_text = self._words
        room = THUMBNAIL.width() - 2 * self.fontMetrics().horizontalAdvance(" ")  # the hint pads a space
        texts = (view_text, _wrapped(empty_text, self, room))
        twin = self._twin
        twin.setFont(self.font())
        sizes = []
        for text in texts:
            twin.setText(text)
            sizes.append(twin.sizeHint())
        self.setText(texts[0] if shown else texts[1])
        self.setFixedSize(max(s.width() for s in sizes), max(s.height() for s in sizes))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and any(self._words):
            self._fit(shown=self.document is not None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.click()  # Enter opens it, as on the kiosk's other buttons
            return
        super().keyPressEvent(event)


def _measuring_twin(parent: QToolButton) -> QToolButton:
    """A hidden button shaped like ``parent``'s thumbnail, always with a (blank) picture."""
    blank = QPixmap(THUMBNAIL)
    blank.fill(Qt.GlobalColor.transparent)
    twin = QToolButton(parent)
    twin.hide()
    twin.setIconSize(THUMBNAIL)
    twin.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    twin.setIcon(QIcon(blank))
    return twin


def _wrapped(text: str, widget: QWidget, width: int) -> str:
    """``text`` broken into lines at spaces to fit ``width`` (a tool button does not wrap by itself)."""
    metrics, lines = widget.fontMetrics(), [""]
    for word in text.split():
        joined = f"{lines[-1]} {word}".strip()
        if lines[-1] and metrics.horizontalAdvance(joined) > width:
            lines.append(word)
        else:
            lines[-1] = joined
    return "\n".join(lines)


class DocumentViewer(QDialog):
    """One attached document, large; Enter or Esc closes it (window-modal, opened, not exec'd)."""

    def __init__(
        self,
        document: Document,
        *,
        title: str,
        close_text: str,
        no_preview: str,
        parent: QWidget,
        picture: bytes | None = None,
    ) -> None:
        super().__init__(parent, objectName="doc_viewer")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        heading = QLabel(f"{title} — {document.name}", objectName="doc_viewer_title")
        heading.setWordWrap(True)
        self.picture = QLabel(objectName="doc_viewer_picture", alignment=Qt.AlignmentFlag.AlignCenter)
        screen = self.screen().availableGeometry().size()  # the parent's screen
        room = QSize(int(screen.width() * 0.8), int(screen.height() * 0.7))
        picture = document_picture(document, picture)  # type: ignore[assignment]
        layout.addWidget(heading)
        layout.addWidget(self.picture, 1)
        if picture is None:
            self.picture.setPixmap(page_icon(QSize(240, 300), document_kind(document)))
            note = QLabel(no_preview, objectName="doc_viewer_note", wordWrap=True)
            layout.addWidget(note)
        else:
            if picture.width() > room.width() or picture.height() > room.height():
                picture = picture.scaled(
                    room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            self.picture.setPixmap(picture)
        buttons = QDialogButtonBox(self)
        close = buttons.addButton(close_text, QDialogButtonBox.ButtonRole.AcceptRole)
        close.setObjectName("doc_viewer_close")
        close.setDefault(True)  # Enter closes; Esc rejects, which closes as well
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

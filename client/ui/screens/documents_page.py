"""Documents step: one row per document field that applies to the applicant; file or camera.

Only the fields whose ``visible_on`` holds for the demographics entered are shown (the workflow says
which, :meth:`Registration.document_fields`): an adult is not offered proof of relationship. Each row
starts with no document type; the officer chooses it before a file or a camera picture is taken.
An attached document shows as a thumbnail in a frame of fixed size (nothing moves when it appears),
with View, Remove (asked) and Replace / Recapture.

With a document camera the page shows its live picture (the shared :class:`CameraView`) beside the
rows: the officer picks the document with its camera button, lays it under the camera and presses
Capture (or F5); the frame on screen becomes the document image. With document scanners (SANE) the
:class:`ScannerPanel` takes that place: Preview, Scan (F5) one page from the glass or every sheet in the
feeder, Add page; a scanned document is one PDF of its pages (client.core.document_scan), shown by its
first page. UI thread only.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from client.core.document_scan import ScannedDocument
from client.core.registration.workflow import Registration, Step
from client.ui.camera_view import CameraView
from client.ui.document_row import DocumentRow
from client.ui.document_thumbnail import DocumentViewer
from client.ui.error_text import error_text
from client.ui.form_renderer import option_label
from client.ui.i18n import tr
from client.ui.scanner_panel import ScannerPanel, scanner_port
from client.ui.widgets import button, confirm, error_label


class DocumentsPage(QWidget):
    def __init__(
        self,
        *,
        registration: Registration,
        ctx=None,
        screen_id: str,
        options: dict[str, list[dict[str, Any]]],
        language: str,
    ) -> None:
        super().__init__()
        self.registration, self.language, self._options = registration, language, options
        self.ctx = ctx
        source = getattr(ctx, "devices", None)
        self.camera = source if getattr(source, "has_document_camera", False) else None
        self.scanning = scanner_port(ctx)  # SANE document scanners, where the kiosk has them
        self.scans: dict[str, ScannedDocument] = {}  # field -> its scanned pages (thumbnail, Add page)
        self.scan_target: str | None = None  # the field a scan in progress is for
        engine = registration.engine
        self.screen = engine.ui_spec.screen(screen_id)
        self.all_fields = [f.id for f in self.screen.fields if engine.schema.fields[f.id].type == "document"]
        self.field_ids: list[str] = []  # the rows that apply now (see refresh)
        self.required: dict[str, bool] = {}
        self.target: str | None = None  # what Capture fills
        self.viewer: DocumentViewer | None = None
        self.remove_box: QWidget | None = None
        self._refused: set[str] = set()  # rows told "choose the type first" (re-worded on a language switch)
        outer = QHBoxLayout(self)
        rows = QWidget()
        self.rows_area = QScrollArea(objectName="doc_rows")  # many documents scroll here, the camera stays
        self.rows_area.setWidgetResizable(True)
        self.rows_area.setFrameShape(QFrame.Shape.NoFrame)
        self.rows_area.setWidget(rows)
        outer.addWidget(self.rows_area, 3)
        grid = QGridLayout(rows)
        device = self.camera is not None or self.scanning is not None
        scanner = self.scanning is not None
        self.rows = {f: DocumentRow(f, with_camera=device, scanner=scanner) for f in self.all_fields}
        for index, (field_id, row) in enumerate(self.rows.items()):
            row.place(grid, index * 3)
            row.combo.currentIndexChanged.connect(lambda _i, f=field_id: self._type_chosen(f))
            row.thumbnail.clicked.connect(lambda _=False, f=field_id: self.view_document(f))
            row.file.clicked.connect(lambda _=False, f=field_id: self.pick_file(f))
            row.camera.clicked.connect(lambda _=False, f=field_id: self.choose_target(f))
            row.remove.clicked.connect(lambda _=False, f=field_id: self.ask_remove(f))
        # the widgets by field, as the wizard, tests and tours read them
        self.labels = {f: r.label for f, r in self.rows.items()}
        self.types = {f: r.combo for f, r in self.rows.items()}
        self.status = {f: r.status for f, r in self.rows.items()}
        self.errors = {f: r.error for f, r in self.rows.items()}
        grid.setColumnStretch(
            3, 1
        )  # room to spare goes past the rows: names on one line, lists not stretched
        grid.setRowStretch(len(self.all_fields) * 3, 1)
        self.view: CameraView | None = None
        self.scan_panel: ScannerPanel | None = None
        if self.scanning is not None:
            outer.addWidget(self._scanner_panel(), 2)
        elif self.camera is not None:
            # on a wide screen the camera preview takes a share of the room (a document is read there)
            outer.addLayout(self._camera_panel(), 2)
        self.refresh()

    def _camera_panel(self) -> QVBoxLayout:
        panel = QVBoxLayout()
        self.target_label = QLabel(objectName="doc_target", wordWrap=True)  # never wider than the camera
        self.target_label.setProperty("role", "second")
        self.view = CameraView(source=self.camera, modality="document", name="doc_preview", size=(360, 270))
        self.view.setMaximumWidth(960)  # grows with the screen, never past a readable preview
        self.view.setWordWrap(True)  # "Starting the camera…" at large text: two lines within it
        self.capture_button = button("", "doc_capture")
        self.capture_button.clicked.connect(lambda: self.capture_camera(self.target))
        self.camera_error = error_label("doc_camera_error")
        panel.addWidget(self.target_label)
        panel.addWidget(self.view, 1)
        panel.addWidget(self.camera_error)
        panel.addWidget(self.capture_button)
        return panel

    def _scanner_panel(self) -> ScannerPanel:
        panel = self.scan_panel = ScannerPanel(self.ctx, self.scanning, language=self.language)  # type: ignore[arg-type]
        panel.setMaximumWidth(960)
        # its widgets play the camera panel's roles (the wizard's F5 presses capture_button)
        self.view, self.capture_button = panel.view, panel.scan_button  # type: ignore[assignment]
        self.target_label, self.camera_error = panel.target_label, panel.error
        panel.scan_button.clicked.connect(lambda: self.capture_camera(self.target))
        panel.add_button.clicked.connect(lambda: self.scan(self.target, append=True))
        panel.on_scanned = self._scanned
        return panel

    # -- which documents apply --------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the rows that apply to the demographics entered so far (they may have changed)."""
        self.required = self.registration.document_fields(self.screen.id)
        self.field_ids = [f for f in self.all_fields if f in self.required]
        for field_id, row in self.rows.items():
            row.set_applies(field_id in self.required)
        if self.target not in self.field_ids:
            self.target = self.field_ids[0] if self.field_ids else None
        self.retranslate(self.language)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The rows keep the width they need (no sideways scrolling); the camera gets the rest."""
        need = self.rows_area.widget().minimumSizeHint().width()
        self.rows_area.setMinimumWidth(need + self.rows_area.verticalScrollBar().sizeHint().width())
        super().resizeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()  # the demographics were submitted just before this page comes up
        super().showEvent(event)

    def choose_target(self, field_id: str) -> None:
        """The document the next camera capture is for."""
        self.target = field_id
        self._show_target()

    def _show_target(self) -> None:
        if self.view is None or self.target is None:
            return
        label = self.registration.engine.label(self.target, self.language)
        words = "scan.for" if self.scan_panel is not None else "docs.camera_for"
        self.target_label.setText(tr(words, self.language, label=label))
        if self.scan_panel is not None:
            scan = self._scanned_doc(self.target)
            self.scan_panel.show_pages(scan.page_count if scan else None)
            self.scan_panel.refresh_state(can_add=scan is not None)
        for field_id, row in self.rows.items():  # the chosen row's camera button is highlighted
            shoot = row.camera
            shoot.setProperty("secondary", field_id != self.target)
            shoot.style().unpolish(shoot)
            shoot.style().polish(shoot)

    def _types_for(self, field_id: str) -> list[dict[str, Any]]:
        category = self.registration.engine.schema.fields[field_id].category
        return [
            r
            for r in self._options.get("document_types", [])
            if not category or r.get("category_id") in (None, category)
        ]

    # -- type first, then the document ------------------------------------------------------------
    def _type_chosen(self, field_id: str) -> None:
        doc_type = self.rows[field_id].chosen_type()
        if doc_type:
            self._refused.discard(field_id)
            self.errors[field_id].clear()
            if self.view is not None and field_id == self.target:
                self.camera_error.clear()
            self.registration.retype_document(field_id, doc_type)

    def _chosen_type(self, field_id: str) -> str | None:
        """The type the officer chose, or None after saying it must be chosen first (never a default)."""
        doc_type = self.rows[field_id].chosen_type()
        if doc_type:
            return doc_type
        self._refused.add(field_id)
        words = tr("docs.type_first", self.language)
        self.errors[field_id].setText(words)
        if self.view is not None and field_id == self.target:
            self.camera_error.setText(words)
        self.types[field_id].setFocus()
        return None

    def pick_file(self, field_id: str) -> None:
        if self._chosen_type(field_id) is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.labels[field_id].text(),
            "",
            tr("docs.filter", self.language) + " (*.pdf *.jpg *.jpeg *.png)",
        )
        if path:
            self.attach(field_id, Path(path))

    def attach(self, field_id: str, path: Path) -> bool:
        """Attach a scanned file to ``field_id`` (the workflow keeps the bytes); refused, with words
        under the row, while no document type is chosen. True when attached."""
        doc_type = self._chosen_type(field_id)
        if doc_type is None:
            return False
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.registration.add_document(
            field_id=field_id,
            doc_type=doc_type,
            name=path.name,
            content_type=content_type,
            data=path.read_bytes(),
        )
        self.errors[field_id].clear()
        self._show_status(field_id)
        return True

    def capture_camera(self, field_id: str | None) -> None:
        """Take the document from the document camera (the live frame on screen) on its device thread,
        then attach it; the camera moves on to the next document still missing."""
        if self.scan_panel is not None:
            return self.scan(field_id)
        camera = self.camera
        if camera is None or field_id is None:
            return
        doc_type = self._chosen_type(field_id)
        if doc_type is None:
            return
        if self.view is not None:
            self.capture_button.setEnabled(False)
            self.camera_error.clear()

        def failed(exc: Exception) -> None:
            words = error_text(exc, self.ctx.t)
            self.errors[field_id].setText(words)
            if self.view is not None:
                self.capture_button.setEnabled(True)
                self.camera_error.setText(words)

        def done(shot: tuple[bytes, str]) -> None:
            data, content_type = shot
            extension = content_type.split("/")[-1]
            self.registration.add_document(
                field_id=field_id,
                doc_type=doc_type,
                name=f"{doc_type}-camera.{extension}",
                content_type=content_type,
                data=data,
            )
            self.errors[field_id].clear()
            self._show_status(field_id)
            if self.view is not None:
                self.capture_button.setEnabled(True)
                missing = [f for f in self.field_ids if f not in self.registration.documents]
                if missing:
                    self.choose_target(missing[0])

        self.ctx.ops.run(camera.capture_document, on_done=done, on_error=failed)

    def scan(self, field_id: str | None, *, append: bool = False) -> None:
        """Scan the document of ``field_id`` (type chosen first); ``append``: after its scanned pages."""
        if self.scan_panel is None or field_id is None or self._chosen_type(field_id) is None:
            return
        self.scan_target = field_id
        self.scan_panel.scan(append_to=self._scanned_doc(field_id) if append else None)

    def _scanned_doc(self, field_id: str | None) -> ScannedDocument | None:
        """The scanned pages behind ``field_id``'s document; None when it came from elsewhere."""
        scan, doc = self.scans.get(field_id or ""), self.registration.documents.get(field_id or "")
        return scan if scan is not None and doc is not None and doc.data is scan.data else None

    def _scanned(self, document: ScannedDocument, _appended: bool) -> None:
        """A scan finished: its PDF becomes the document (all pages, or nothing on an error)."""
        field_id = self.scan_target
        doc_type = self.rows[field_id].chosen_type() if field_id in self.rows else None
        if field_id is None or not doc_type or self.registration.step != Step.DOCUMENTS:
            return  # the officer left the step meanwhile: the scan is dropped, nothing half-kept
        self.registration.add_document(
            field_id=field_id,
            doc_type=doc_type,
            name=f"{doc_type}-scan.pdf",
            content_type=document.content_type,
            data=document.data,
        )
        self.scans[field_id] = document
        self.errors[field_id].clear()
        self._show_status(field_id)
        self._show_target()  # the target stays: Add page goes on with the same document

    # -- an attached document ---------------------------------------------------------------------
    def view_document(self, field_id: str) -> None:
        """Open the attached document large (window-modal; Enter or Esc closes it)."""
        doc = self.registration.documents.get(field_id)
        if doc is None:
            return
        scan = self._scanned_doc(field_id)
        self.viewer = DocumentViewer(
            doc,
            picture=scan.first_page if scan else None,
            title=self.registration.engine.label(field_id, self.language),
            close_text=tr("docs.close", self.language),
            no_preview=tr("docs.no_preview", self.language),
            parent=self,
        )
        self.viewer.open()

    def ask_remove(self, field_id: str) -> None:
        """Ask Yes/No before the attached document is dropped (No is the default)."""
        doc = self.registration.documents.get(field_id)
        if doc is None:
            return
        label = self.registration.engine.label(field_id, self.language)
        self.remove_box = confirm(
            self,
            name="doc_remove",
            title=tr("docs.remove_title", self.language),
            text=tr("docs.remove_text", self.language, label=label, name=doc.name),
            yes=tr("answer.yes", self.language),
            no=tr("answer.no", self.language),
            on_yes=lambda: self.remove(field_id),
        )

    def remove(self, field_id: str) -> None:
        self.registration.remove_document(field_id)
        self.scans.pop(field_id, None)
        self._show_status(field_id)
        self._show_target()

    def _show_status(self, field_id: str) -> None:
        scan = self._scanned_doc(field_id)
        self.rows[field_id].show(
            self.registration.documents.get(field_id),
            self.language,
            pages=scan.page_count if scan else None,
            picture=scan.first_page if scan else None,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        self._refused.clear()
        for field_id, label in self.errors.items():
            label.setText(errors.get(field_id, ""))

    def retranslate(self, language: str) -> None:
        self.language = language
        engine = self.registration.engine
        default = engine.ui_spec.default_language
        for field_id, row in self.rows.items():
            required = " *" if self.required.get(field_id) else ""
            row.retranslate(engine.label(field_id, language) + required, language)
            doc = self.registration.documents.get(field_id)
            row.set_types(
                [(option_label(r, language, default), r["id"]) for r in self._types_for(field_id)],
                keep=doc.doc_type if doc else row.chosen_type(),
                language=language,
            )
            self._show_status(field_id)
            if field_id in self._refused:
                self.errors[field_id].setText(tr("docs.type_first", language))
        if self.scan_panel is not None:
            self.scan_panel.retranslate(language)
            self._show_target()
        elif self.view is not None:
            self.capture_button.setText(tr("docs.capture", language))
            if self.view.pixmap().isNull():  # setText would drop a frame already shown
                self.view.setText(tr("camera.waiting", language))
            self._show_target()

    def title(self) -> str:
        labels = self.screen.labels
        return (
            labels.get(self.language) or labels.get(self.registration.engine.ui_spec.default_language) or ""
        )

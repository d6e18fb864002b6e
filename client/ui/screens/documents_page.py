"""Documents step: one row per document field of the UI spec; type from master data; file or camera.

With a document camera the page shows its live picture (the shared :class:`CameraView`) beside the
rows: the officer picks the document with its 📷 button, lays it under the camera and presses Capture
(or F5); the frame on screen becomes the document image. Choosing a file works the same with or
without a camera.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from client.core.registration.workflow import Registration
from client.ui.camera_view import CameraView
from client.ui.error_text import error_text
from client.ui.form_renderer import option_label
from client.ui.widgets import button, error_label, wheel_only_when_focused


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
        engine = registration.engine
        self.screen = engine.ui_spec.screen(screen_id)
        self.field_ids = [f.id for f in self.screen.fields if engine.schema.fields[f.id].type == "document"]
        self.target: str | None = self.field_ids[0] if self.field_ids else None  # what Capture fills
        outer = QHBoxLayout(self)
        rows = QWidget()
        outer.addWidget(rows, 1)
        grid = QGridLayout(rows)
        self.labels: dict[str, QLabel] = {}
        self.types: dict[str, QComboBox] = {}
        self.status: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        for row, field_id in enumerate(self.field_ids):
            self.labels[field_id] = QLabel()
            combo = QComboBox(objectName=f"doctype_{field_id}")
            wheel_only_when_focused(combo)
            self.types[field_id] = combo
            pick = button("", f"docfile_{field_id}", secondary=True)
            pick.clicked.connect(lambda _=False, f=field_id: self.pick_file(f))
            shoot = button("", f"doccamera_{field_id}", secondary=True)
            shoot.setVisible(self.camera is not None)
            shoot.clicked.connect(lambda _=False, f=field_id: self.choose_target(f))
            grid.addWidget(shoot, row * 2, 4)
            self.status[field_id] = QLabel(objectName=f"docstatus_{field_id}")
            self.errors[field_id] = error_label(f"error_{field_id}")
            grid.addWidget(self.labels[field_id], row * 2, 0)
            grid.addWidget(combo, row * 2, 1)
            grid.addWidget(pick, row * 2, 2)
            grid.addWidget(self.status[field_id], row * 2, 3)
            grid.addWidget(self.errors[field_id], row * 2 + 1, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(len(self.field_ids) * 2, 1)
        self.view: CameraView | None = None
        if self.camera is not None:
            outer.addLayout(self._camera_panel(), 0)
        self.retranslate(language)

    def _camera_panel(self) -> QVBoxLayout:
        panel = QVBoxLayout()
        self.target_label = QLabel(objectName="doc_target")
        self.target_label.setProperty("role", "second")
        self.view = CameraView(source=self.camera, modality="document", name="doc_preview", size=(360, 270))
        self.capture_button = button("", "doc_capture")
        self.capture_button.clicked.connect(lambda: self.capture_camera(self.target))
        self.camera_error = error_label("doc_camera_error")
        panel.addWidget(self.target_label)
        panel.addWidget(self.view, 1)
        panel.addWidget(self.camera_error)
        panel.addWidget(self.capture_button)
        return panel

    def choose_target(self, field_id: str) -> None:
        """The document the next camera capture is for."""
        self.target = field_id
        self._show_target()

    def _show_target(self) -> None:
        if self.view is None or self.target is None:
            return
        from client.ui.i18n import tr

        label = self.registration.engine.label(self.target, self.language)
        self.target_label.setText(tr("docs.camera_for", self.language, label=label))
        for field_id in self.field_ids:  # the chosen row's camera button is highlighted
            shoot = self.findChild(QWidget, f"doccamera_{field_id}")
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

    def pick_file(self, field_id: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.labels[field_id].text(), "", self.ctx.t("docs.filter") + " (*.pdf *.jpg *.jpeg *.png)"
        )
        if path:
            self.attach(field_id, Path(path))

    def attach(self, field_id: str, path: Path) -> None:
        """Attach a scanned file to ``field_id`` (the workflow keeps the bytes)."""
        data = path.read_bytes()
        doc_type = self.types[field_id].currentData() or field_id
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.registration.add_document(
            field_id=field_id, doc_type=doc_type, name=path.name, content_type=content_type, data=data
        )
        self.errors[field_id].clear()
        self._show_status(field_id)

    def capture_camera(self, field_id: str | None) -> None:
        """Take the document from the document camera (the live frame on screen) on its device thread,
        then attach it; the camera moves on to the next document still missing."""
        camera = self.camera
        if camera is None or field_id is None:
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
            doc_type = self.types[field_id].currentData() or field_id
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

    def _show_status(self, field_id: str) -> None:
        doc = self.registration.documents.get(field_id)
        status = self.status[field_id]
        if doc is None:
            status.setText("—")
            status.setToolTip("")
            return
        kind = doc.content_type.split("/")[-1].upper().replace("JPEG", "JPG")
        status.setText(f"✔ {kind} · {max(1, len(doc.data) // 1024)} KiB")
        status.setToolTip(doc.name)

    def show_errors(self, errors: dict[str, str]) -> None:
        for field_id, label in self.errors.items():
            label.setText(errors.get(field_id, ""))

    def retranslate(self, language: str) -> None:
        from client.ui.i18n import tr

        self.language = language
        engine = self.registration.engine
        default = engine.ui_spec.default_language
        for field_id in self.field_ids:
            required = " *" if engine.schema.fields[field_id].required else ""
            self.labels[field_id].setText(engine.label(field_id, language) + required)
            combo = self.types[field_id]
            keep = combo.currentData()
            combo.clear()
            for r in self._types_for(field_id):
                combo.addItem(option_label(r, language, default), r["id"])
            if keep:
                combo.setCurrentIndex(max(combo.findData(keep), 0))
            self.findChild(QWidget, f"docfile_{field_id}").setText(tr("docs.pick", language))
            self.findChild(QWidget, f"doccamera_{field_id}").setText(tr("docs.camera", language))
            self._show_status(field_id)
        if self.view is not None:
            self.capture_button.setText(tr("docs.capture", language))
            if self.view.pixmap().isNull():  # setText would drop a frame already shown
                self.view.setText(tr("camera.waiting", language))
            self._show_target()

    def title(self) -> str:
        labels = self.screen.labels
        return (
            labels.get(self.language) or labels.get(self.registration.engine.ui_spec.default_language) or ""
        )

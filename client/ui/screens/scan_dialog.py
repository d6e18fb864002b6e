"""Scan a pre-registration barcode/QR code with the camera: live view, first code read wins.

The scan waits on the operations' device lane (``DeviceCapture.scan_code``: the barcode reader decodes the
camera's newest preview frames on its device thread); the dialog only shows the picture and the outcome. Closing it
cancels the scan. ``scanned`` carries the code; a timeout or a missing camera is explained in place.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QVBoxLayout

from client.ui.camera_view import CameraView
from client.ui.context import UiContext
from client.ui.error_text import error_text
from client.ui.widgets import button, error_label, title_label


class ScanDialog(QDialog):
    scanned = Signal(str)

    def __init__(self, ctx: UiContext, *, timeout_s: float = 20.0, parent=None) -> None:
        super().__init__(parent)
        self.ctx, self.timeout_s = ctx, timeout_s
        self.source = ctx.devices
        self.code: str | None = None
        self.scanning = False
        self._cancel = threading.Event()
        self.setObjectName("scan_dialog")
        self.setModal(True)
        self.setWindowTitle(ctx.t("scan.title"))
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(ctx.t("scan.title")))
        self.hint = QLabel(ctx.t("scan.hint"))
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.view = CameraView(
            source=self.source,
            modality=self.source.scan_camera,
            name="scan_view",
            placeholder=ctx.t("camera.waiting"),
            size=(480, 360),
        )
        layout.addWidget(self.view, 1)
        self.message = error_label("scan_message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.again_button = button(ctx.t("scan.again"), "scan_again", secondary=True)
        self.cancel_button = button(ctx.t("wizard.cancel"), "scan_cancel", secondary=True)
        row.addStretch(1)
        row.addWidget(self.again_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.again_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.reject)
        self.again_button.hide()

    def start(self) -> None:
        """Scan on the worker until a code, the timeout or a cancel."""
        if self.scanning:
            return
        self.scanning = True
        self._cancel = cancel = threading.Event()
        self.message.clear()
        self.again_button.hide()
        source, timeout_s = self.source, self.timeout_s
        self.ctx.ops.run(
            lambda: source.scan_code(timeout_s=timeout_s, cancel=cancel),
            on_done=self._found,
            on_error=self._failed,
            lane="devices",  # a 20 s scan must not wait behind a sync, nor hold one up
        )

    def _found(self, code: str) -> None:
        self.scanning = False
        if self._cancel.is_set():
            return  # closed meanwhile: the officer no longer wants it
        self.code = code
        self.accept()
        self.scanned.emit(code)

    def _failed(self, exc: Exception) -> None:
        self.scanning = False
        if self._cancel.is_set():
            return
        if getattr(exc, "device_error", None) == "timeout":
            self.message.setText(self.ctx.t("scan.timeout", s=f"{self.timeout_s:g}"))
        else:
            self.message.setText(error_text(exc, self.ctx.t))
        self.again_button.show()

    def done(self, result: int) -> None:
        self._cancel.set()  # a running scan stops at its next frame
        super().done(result)

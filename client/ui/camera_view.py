"""A live camera picture: the one preview widget for the document camera and the barcode scanner.

Frames come from the core's capture port (``client.core.capture.DeviceCapture.preview_frame(modality)``
returns the newest encoded frame from the device's thread or None, never blocking); a UI-thread timer
pulls them at up to 25 per second while the view is visible, and the camera stops streaming when hidden.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy


class CameraView(QLabel):
    """Shows ``modality``'s live frames from ``source``; ``frames_shown`` counts what was painted."""

    def __init__(
        self,
        *,
        source: Any,
        modality: str,
        name: str,
        placeholder: str = "",
        size: tuple[int, int] = (480, 360),
    ) -> None:
        super().__init__(placeholder)
        self.source, self.modality = source, modality
        self.setObjectName(name)
        self.setMinimumSize(*size)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("background: #20262e; color: #e8ecf0;")
        self.frames_shown = 0
        self.last_image: QImage | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(40)  # 25 fps
        self._timer.timeout.connect(self.pull)

    def sizeHint(self) -> QSize:  # not the pixmap's size: frames must never grow the layout
        return self.minimumSize()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._timer.start()

    def hideEvent(self, event) -> None:
        self._timer.stop()
        stop = getattr(self.source, "stop_preview", None)
        if stop is not None:
            stop(self.modality)
        super().hideEvent(event)

    def pull(self) -> None:
        data = self.source.preview_frame(self.modality)
        if not data:
            return
        image = QImage.fromData(data)
        if image.isNull():
            return
        self.last_image = image
        self.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.contentsRect().size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        self.frames_shown += 1

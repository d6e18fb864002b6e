"""The exception photo's panel on the biometrics step: the face camera's live picture, the button that
takes the photo (F7 from anywhere on the step), and the photo taken, shown once it is."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from client.core.registration.workflow import Registration
from client.ui.screens.biometric_words import PHOTO, bio_words, status_words
from client.ui.screens.group_panel import picture_box, pixmap_of
from client.ui.widgets import button

SHORTCUT = "F7"


class ExceptionPhotoPanel(QFrame):
    """``button`` takes the photo (the page connects it); ``photo`` shows it once taken."""

    group = "face"  # whose preview stream the panel shows

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration
        self.setProperty("card", True)
        self.setObjectName("bio_exception_photo")
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setProperty("role", "second")
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        pictures = QGridLayout()
        self.preview = picture_box("preview_exception_photo", 240)
        self.photo = picture_box("exception_photo_taken", 240)
        self.preview_caption, self.photo_caption = QLabel(), QLabel()
        for column, (caption, box) in enumerate(
            ((self.preview_caption, self.preview), (self.photo_caption, self.photo))
        ):
            caption.setBuddy(box)
            pictures.addWidget(caption, 0, column)
            pictures.addWidget(box, 1, column)
        pictures.setColumnStretch(2, 1)
        layout.addLayout(pictures)
        row = QHBoxLayout()
        self.button = button("", "exception_photo", secondary=True)
        self.status = QLabel(objectName="exception_photo_status")
        self.status.setWordWrap(True)
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        layout.addStretch(1)

    def show_frame(self, data: bytes | None) -> None:
        pixmap = pixmap_of(data, self.preview.width())
        if pixmap is not None:
            self.preview.setPixmap(pixmap)

    def show_photo(self, data: bytes | None) -> None:
        pixmap = pixmap_of(data, self.photo.width())
        if pixmap is not None:
            self.photo.setPixmap(pixmap)

    def refresh(self, language: str) -> None:
        self.title.setText(bio_words("photo", language))
        self.explain.setText(bio_words("photo_explain", language))
        self.button.setText(bio_words("photo_take", language, shortcut=SHORTCUT))
        self.status.setText(status_words(self.registration, PHOTO, language))
        self.preview_caption.setText(bio_words("photo_live", language))
        self.photo_caption.setText(bio_words("photo_taken", language))
        self.preview.setAccessibleName(self.preview_caption.text())
        self.photo.setAccessibleName(self.photo_caption.text())

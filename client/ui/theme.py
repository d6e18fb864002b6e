"""Kiosk look: large type readable at arm's length, big touch targets, optional high contrast."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 14
MIN_TOUCH_PX = 48

_NORMAL = f"""
QWidget {{ background: #f5f7fa; color: #1b2430; }}
QPushButton {{ min-height: {MIN_TOUCH_PX}px; min-width: 120px; padding: 6px 18px; border-radius: 6px;
  background: #1f5fa8; color: white; font-weight: 600; }}
QPushButton:disabled {{ background: #9aa7b5; }}
QPushButton:focus {{ border: 3px solid #f0a000; }}
QPushButton[secondary="true"] {{ background: #dfe6ee; color: #1b2430; }}
QLineEdit, QComboBox, QSpinBox {{ min-height: 40px; padding: 2px 8px; border: 1px solid #8796a8;
  border-radius: 4px; background: white; }}
QLineEdit:focus, QComboBox:focus {{ border: 2px solid #1f5fa8; }}
QLabel[role="error"] {{ color: #b00020; font-weight: 600; }}
QLabel[role="title"] {{ font-size: 22pt; font-weight: 700; }}
QLabel[role="second"] {{ color: #4a5868; }}
QLabel[role="count"] {{ font-size: 26pt; font-weight: 700; color: #1f5fa8; }}
QFrame[card="true"] {{ background: white; border: 1px solid #d4dbe3; border-radius: 8px; }}
QFrame[card="true"] QLabel {{ background: transparent; }}
QProgressBar {{ min-height: 28px; border: 1px solid #8796a8; border-radius: 4px; text-align: center; }}
QProgressBar::chunk {{ background: #2e8540; }}
QTableWidget {{ background: white; gridline-color: #d4dbe3; }}
QScrollBar:vertical {{ width: 22px; background: #e6ebf1; }}
QScrollBar:horizontal {{ height: 22px; background: #e6ebf1; }}
QScrollBar::handle {{ background: #8796a8; border-radius: 6px; min-height: {MIN_TOUCH_PX}px; min-width: {MIN_TOUCH_PX}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
"""

_HIGH_CONTRAST = f"""
QWidget {{ background: black; color: white; }}
QPushButton {{ min-height: {MIN_TOUCH_PX + 8}px; min-width: 130px; padding: 6px 18px;
  background: yellow; color: black; font-weight: 800; border: 3px solid white; }}
QPushButton:disabled {{ background: #555; color: #ddd; }}
QPushButton:focus {{ border: 4px solid cyan; }}
QLineEdit, QComboBox, QSpinBox {{ min-height: 44px; background: black; color: yellow; border: 2px solid white; }}
QLineEdit:focus, QComboBox:focus {{ border: 3px solid cyan; }}
QLabel[role="error"] {{ color: #ff6060; font-weight: 800; }}
QLabel[role="title"] {{ font-size: 24pt; font-weight: 800; color: yellow; }}
QLabel[role="second"] {{ color: #e0e0e0; }}
QLabel[role="count"] {{ font-size: 28pt; font-weight: 800; color: yellow; }}
QFrame[card="true"] {{ border: 2px solid white; border-radius: 8px; }}
QFrame[card="true"] QLabel {{ border: none; }}
QProgressBar {{ min-height: 30px; border: 2px solid white; text-align: center; }}
QProgressBar::chunk {{ background: yellow; }}
QTableWidget {{ background: black; color: white; gridline-color: white; }}
QScrollBar:vertical {{ width: 26px; background: black; border: 1px solid white; }}
QScrollBar:horizontal {{ height: 26px; background: black; border: 1px solid white; }}
QScrollBar::handle {{ background: yellow; min-height: {MIN_TOUCH_PX}px; min-width: {MIN_TOUCH_PX}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
"""


def apply_theme(app: QApplication, *, high_contrast: bool) -> None:
    """Set the font and stylesheet for the whole application (switchable at any time)."""
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE + (2 if high_contrast else 0))
    app.setFont(font)
    app.setStyleSheet(_HIGH_CONTRAST if high_contrast else _NORMAL)

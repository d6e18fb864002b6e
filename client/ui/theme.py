"""Kiosk look: large type readable at arm's length, big touch targets, optional high contrast.

Both stylesheets are built from a :class:`Palette`; :meth:`Palette.text_pairs` lists every text colour
on the background it is drawn on, so a test holds each pair to WCAG 2.x AA (4.5:1, :func:`contrast_ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 14
MIN_TOUCH_PX = 48
WCAG_AA_TEXT = 4.5
FORM_MAX_WIDTH = 1200  # px: wider than this a form's fields are hard to follow across the line


@dataclass(frozen=True)
class Palette:
    """The colours of one theme (``#rrggbb``). Text roles: ``text`` (normal), ``second`` (secondary
    labels), ``error``, ``accent`` (titles, counts); each is drawn on ``window`` and on ``card``."""

    window: str
    card: str
    text: str
    second: str
    error: str
    accent: str
    button: str
    button_text: str
    disabled: str
    disabled_text: str
    secondary: str
    secondary_text: str
    field: str
    field_text: str
    border: str
    focus: str
    progress_text: str
    chunk: str
    chunk_low: str  # a quality bar under its threshold (the bar's text says so too)
    header: str
    header_text: str
    scroll: str
    handle: str

    def text_pairs(self) -> dict[str, tuple[str, str]]:
        """Every (text colour, background colour) the stylesheet draws, by role."""
        pairs = {
            f"{role} on {surface}": (getattr(self, role), getattr(self, surface))
            for role in ("text", "second", "error", "accent")
            for surface in ("window", "card")
        }
        pairs |= {
            "button": (self.button_text, self.button),
            "disabled button": (self.disabled_text, self.disabled),
            "secondary button": (self.secondary_text, self.secondary),
            "field": (self.field_text, self.field),
            "progress (empty part)": (self.progress_text, self.window),
            "progress (filled part)": (self.progress_text, self.chunk),
            "progress (below threshold)": (self.progress_text, self.chunk_low),
            "table header": (self.header_text, self.header),
            "table": (self.text, self.card),
        }
        return pairs


NORMAL = Palette(
    window="#f5f7fa",
    card="#ffffff",
    text="#1b2430",
    second="#4a5868",
    error="#b00020",
    accent="#1f5fa8",
    button="#1f5fa8",
    button_text="#ffffff",
    disabled="#dfe3e8",
    disabled_text="#4f5a68",
    secondary="#dfe6ee",
    secondary_text="#1b2430",
    field="#ffffff",
    field_text="#1b2430",
    border="#8796a8",
    focus="#f0a000",
    progress_text="#1b2430",
    chunk="#7cc48a",
    chunk_low="#f2a7a0",
    header="#dfe6ee",
    header_text="#1b2430",
    scroll="#e6ebf1",
    handle="#8796a8",
)

HIGH_CONTRAST = Palette(
    window="#000000",
    card="#000000",
    text="#ffffff",
    second="#e0e0e0",
    error="#ff6060",
    accent="#ffff00",
    button="#ffff00",
    button_text="#000000",
    disabled="#555555",
    disabled_text="#dddddd",
    secondary="#ffff00",
    secondary_text="#000000",
    field="#000000",
    field_text="#ffff00",
    border="#ffffff",
    focus="#00ffff",
    progress_text="#ffffff",
    chunk="#006e00",
    chunk_low="#b00000",
    header="#000000",
    header_text="#ffffff",
    scroll="#000000",
    handle="#ffff00",
)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb`` (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio), 1 to 21."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _normal(p: Palette, scale: float) -> str:
    px = pt = lambda size: round(size * scale)
    return f"""
QWidget {{ background: {p.window}; color: {p.text}; }}
QPushButton {{ min-height: {px(MIN_TOUCH_PX)}px; padding: 6px 18px; border-radius: 6px;
  background: {p.button}; color: {p.button_text}; font-weight: 600; border: 3px solid transparent; }}
QPushButton:disabled {{ background: {p.disabled}; color: {p.disabled_text}; }}
QPushButton:focus {{ border-color: {p.focus}; }}
QPushButton[secondary="true"] {{ background: {p.secondary}; color: {p.secondary_text}; }}
QLineEdit, QComboBox, QSpinBox {{ min-height: {px(40)}px; padding: 1px 7px; border: 2px solid {p.border};
  border-radius: 4px; background: {p.field}; color: {p.field_text}; }}
QLineEdit:focus, QComboBox:focus {{ border-color: {p.accent}; }}
QCheckBox::indicator {{ width: {px(22)}px; height: {px(22)}px; border: 3px solid {p.border};
  border-radius: 3px; background: {p.field}; }}
QCheckBox::indicator:checked {{ background: {p.accent}; }}
QCheckBox::indicator:focus {{ border-color: {p.focus}; }}
QLabel[role="error"] {{ color: {p.error}; font-weight: 600; }}
QLabel[role="title"] {{ font-size: {pt(22)}pt; font-weight: 700; }}
QLabel[role="second"] {{ color: {p.second}; }}
QLabel[role="count"] {{ font-size: {pt(26)}pt; font-weight: 700; color: {p.accent}; }}
QFrame[card="true"] {{ background: {p.card}; border: 1px solid #d4dbe3; border-radius: 8px; }}
QFrame[card="true"] QLabel {{ background: transparent; }}
QProgressBar {{ min-height: {px(28)}px; border: 1px solid {p.border}; border-radius: 4px; text-align: center;
  color: {p.progress_text}; }}
QProgressBar::chunk {{ background: {p.chunk}; }}
QProgressBar[low="true"]::chunk {{ background: {p.chunk_low}; }}
QTableWidget {{ background: {p.card}; color: {p.text}; gridline-color: #d4dbe3; }}
QHeaderView::section {{ background: {p.header}; color: {p.header_text}; padding: 4px;
  border: 1px solid #d4dbe3; }}
QScrollBar:vertical {{ width: 22px; background: {p.scroll}; }}
QScrollBar:horizontal {{ height: 22px; background: {p.scroll}; }}
QScrollBar::handle {{ background: {p.handle}; border-radius: 6px; min-height: {MIN_TOUCH_PX}px;
  min-width: {MIN_TOUCH_PX}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
"""


def _high_contrast(p: Palette, scale: float) -> str:
    px = pt = lambda size: round(size * scale)
    return f"""
QWidget {{ background: {p.window}; color: {p.text}; }}
QPushButton {{ min-height: {px(MIN_TOUCH_PX + 8)}px; padding: 5px 17px;
  background: {p.button}; color: {p.button_text}; font-weight: 800; border: 4px solid {p.border}; }}
QPushButton:disabled {{ background: {p.disabled}; color: {p.disabled_text}; }}
QPushButton:focus {{ border-color: {p.focus}; }}
QPushButton[secondary="true"] {{ background: {p.secondary}; color: {p.secondary_text}; }}
QLineEdit, QComboBox, QSpinBox {{ min-height: {px(44)}px; padding: 1px 7px; background: {p.field};
  color: {p.field_text}; border: 3px solid {p.border}; }}
QLineEdit:focus, QComboBox:focus {{ border-color: {p.focus}; }}
QCheckBox::indicator {{ width: {px(24)}px; height: {px(24)}px; border: 4px solid {p.border};
  background: {p.field}; }}
QCheckBox::indicator:checked {{ background: {p.accent}; }}
QCheckBox::indicator:focus {{ border-color: {p.focus}; }}
QLabel[role="error"] {{ color: {p.error}; font-weight: 800; }}
QLabel[role="title"] {{ font-size: {pt(24)}pt; font-weight: 800; color: {p.accent}; }}
QLabel[role="second"] {{ color: {p.second}; }}
QLabel[role="count"] {{ font-size: {pt(28)}pt; font-weight: 800; color: {p.accent}; }}
QFrame[card="true"] {{ background: {p.card}; border: 2px solid {p.border}; border-radius: 8px; }}
QFrame[card="true"] QLabel {{ border: none; }}
QProgressBar {{ min-height: {px(30)}px; border: 2px solid {p.border}; text-align: center; color: {p.progress_text}; }}
QProgressBar::chunk {{ background: {p.chunk}; }}
QProgressBar[low="true"]::chunk {{ background: {p.chunk_low}; }}
QTableWidget {{ background: {p.card}; color: {p.text}; gridline-color: {p.border}; }}
QHeaderView::section {{ background: {p.header}; color: {p.header_text}; padding: 4px;
  border: 1px solid {p.border}; }}
QScrollBar:vertical {{ width: 26px; background: {p.scroll}; border: 1px solid {p.border}; }}
QScrollBar:horizontal {{ height: 26px; background: {p.scroll}; border: 1px solid {p.border}; }}
QScrollBar::handle {{ background: {p.handle}; min-height: {MIN_TOUCH_PX}px; min-width: {MIN_TOUCH_PX}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
"""


def stylesheet(*, high_contrast: bool, text_scale: float = 1.0) -> str:
    """The application stylesheet of one theme, built from its palette, its type and field heights
    grown by ``text_scale`` (1.0, 1.25, 1.5)."""
    return _high_contrast(HIGH_CONTRAST, text_scale) if high_contrast else _normal(NORMAL, text_scale)


def apply_theme(app: QApplication, *, high_contrast: bool, text_scale: float = 1.0) -> None:
    """Set the font and stylesheet for the whole application (switchable at any time): high contrast
    and the text size stack. Focus rings only recolour a border every state has, so they take no room
    from the text."""
    font = QFont(app.font())
    font.setPointSize(round((BASE_POINT_SIZE + (2 if high_contrast else 0)) * text_scale))
    app.setFont(font)
    app.setStyleSheet(stylesheet(high_contrast=high_contrast, text_scale=text_scale))

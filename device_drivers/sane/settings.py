"""Scan settings: source, resolution, colour mode, page size, preview resolution and page limit.

The defaults come from master data, config key ``devices.document_scanner`` (docs/devices.md):

    {"source": "flatbed", "resolution_dpi": 300, "mode": "color", "page_size": "A4",
     "preview_dpi": 75, "max_pages": 20, "jpeg_quality": 85, "backend_options": {}}

Every key is optional; an unknown key or a value out of range is refused with a
:class:`ScanSettingsError` naming it, so a typing mistake in master data never scans silently at
another resolution. The officer may change the source on the kiosk; everything else is the admin's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

CONFIG_KEY = "devices.document_scanner"
SOURCES = ("flatbed", "adf")
MODES = ("color", "gray", "lineart")
# Page sizes in millimetres (width, height); "ID-1" is the ID card format (ISO/IEC 7810).
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "Letter": (215.9, 279.4),
    "Legal": (215.9, 355.6),
    "ID-1": (85.6, 53.98),
}
RESOLUTION_RANGE = (75, 1200)
PREVIEW_RANGE = (25, 150)
MAX_PAGES = 50  # a hard cap whatever master data says: one packet entry stays a sane size
MAX_BACKEND_OPTIONS = 16
_OPTION_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class ScanSettingsError(ValueError):
    """The ``devices.document_scanner`` config (or a setting asked for) is not valid; says which key."""


@dataclass(frozen=True)
class ScanSettings:
    """What one scan asks of the scanner. ``backend_options``: extra SANE options by name (e.g. a
    backend's ``swdeskew``), set as given after the standard ones."""

    source: str = "flatbed"
    resolution_dpi: int = 300
    mode: str = "color"
    page_size: str = "A4"
    preview_dpi: int = 75
    max_pages: int = 20
    jpeg_quality: int = 85
    backend_options: dict[str, str | int | float | bool] = field(default_factory=dict)
    preview: bool = False  # the low-resolution pass (for_preview), never read from master data

    def __post_init__(self) -> None:
        _check(self)

    @property
    def page_mm(self) -> tuple[float, float]:
        return PAGE_SIZES[self.page_size]

    def with_source(self, source: str) -> ScanSettings:
        return replace(self, source=source)

    def for_preview(self) -> ScanSettings:
        """The low-resolution pass: the flatbed, the preview resolution, in colour when the scan is."""
        return replace(self, source="flatbed", resolution_dpi=self.preview_dpi, max_pages=1, preview=True)


def _check(s: ScanSettings) -> None:
    def bad(key: str, what: str) -> ScanSettingsError:
        return ScanSettingsError(f"{CONFIG_KEY}.{key} must be {what}")

    if s.source not in SOURCES:
        raise bad("source", f"one of {', '.join(SOURCES)}")
    if s.mode not in MODES:
        raise bad("mode", f"one of {', '.join(MODES)}")
    if s.page_size not in PAGE_SIZES:
        raise bad("page_size", f"one of {', '.join(PAGE_SIZES)}")
    low, high = PREVIEW_RANGE[0] if s.preview else RESOLUTION_RANGE[0], RESOLUTION_RANGE[1]
    if not _int_in(s.resolution_dpi, low, high):
        raise bad("resolution_dpi", f"a whole number of dots per inch from {low} to {high}")
    if not _int_in(s.preview_dpi, *PREVIEW_RANGE):
        raise bad("preview_dpi", f"a whole number from {PREVIEW_RANGE[0]} to {PREVIEW_RANGE[1]}")
    if not _int_in(s.max_pages, 1, MAX_PAGES):
        raise bad("max_pages", f"a whole number from 1 to {MAX_PAGES}")
    if not _int_in(s.jpeg_quality, 30, 95):
        raise bad("jpeg_quality", "a whole number from 30 to 95")
    options = s.backend_options
    if not isinstance(options, dict) or len(options) > MAX_BACKEND_OPTIONS:
        raise bad("backend_options", f"an object of at most {MAX_BACKEND_OPTIONS} SANE options")
    for name, value in options.items():
        if not isinstance(name, str) or not _OPTION_NAME.match(name):
            raise bad("backend_options", "keyed by SANE option names (lower-case letters, digits, - and _)")
        if not isinstance(value, str | int | float | bool) or (isinstance(value, str) and len(value) > 200):
            raise bad(f"backend_options.{name}", "text (at most 200 characters), a number or true/false")


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def settings_from_config(value: Any) -> ScanSettings:
    """The settings a master-data config value asks for (None: the built-in defaults)."""
    if value is None:
        return ScanSettings()
    if not isinstance(value, dict):
        raise ScanSettingsError(f"{CONFIG_KEY} must be a JSON object")
    known = set(ScanSettings.__dataclass_fields__) - {"preview"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ScanSettingsError(f"{CONFIG_KEY} has unknown keys: {', '.join(map(str, unknown))}")
    return ScanSettings(**value)

"""The kiosk's own display choices (text size, high contrast), kept in ``display.json`` in its data
folder so they outlive a restart. Plain and not personal: they belong to the kiosk, not to an officer."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

TEXT_SIZES = (100, 125, 150)  # percent of the theme's type
FILE_NAME = "display.json"


@dataclass(frozen=True)
class DisplaySettings:
    text_size: int = 100
    high_contrast: bool = False


def load_display(data_dir: Path) -> DisplaySettings:
    """The saved choices, or the defaults when none are saved (or the file is unreadable)."""
    try:
        saved = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
        size = int(saved.get("text_size", 100))
        return DisplaySettings(size if size in TEXT_SIZES else 100, bool(saved.get("high_contrast", False)))
    except FileNotFoundError:
        return DisplaySettings()
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        logging.getLogger(__name__).warning("display settings ignored: %s", exc)
        return DisplaySettings()


def save_display(data_dir: Path, display: DisplaySettings) -> None:
    """Keep ``display`` for the next start (UI thread: a tiny write)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / FILE_NAME).write_text(json.dumps(asdict(display)), encoding="utf-8")

"""Entry point Briefcase runs (``python -m openreg_kiosk``): open the kiosk window.

A Briefcase app has no pip metadata, so the ``openreg`` entry points are not available here; the
GUI is started directly. The data folder defaults to the platform's per-user data folder and can
be overridden with OPENREG_DATA; the first-run screen asks for the sync server URL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_data_dir() -> Path:
    if override := os.environ.get("OPENREG_DATA"):
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "OpenReg"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "OpenReg"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "openreg"


def main() -> int:
    from client.ui.app import run_gui

    return run_gui(data_dir=default_data_dir(), server_url=os.environ.get("OPENREG_SERVER"))


if __name__ == "__main__":
    sys.exit(main())

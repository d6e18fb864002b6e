"""SANE's own ``test`` backend as a document scanner, for the screenshot tour and the scanner tests.

The backend is a real SANE device (libsane-test, Debian ``libsane1``): it produces test pictures from a
flatbed or a document feeder (empty after 10 sheets) and returns any SANE status on request (option
``read-return-value``). A private config folder lists only ``test`` in dll.conf, so no real scanner or
network backend is probed; libsane reads it (``SANE_CONFIG_DIR``) when the SANE host process starts.
"""

from __future__ import annotations

import glob
import importlib.util
from pathlib import Path

TEST_CONF = """\
number_of_devices {devices}
mode Color
depth 8
resolution 75
test-picture "Color pattern"
geometry_min 0.0
geometry_max 300.0
geometry_quant 1.0
br_x 210.0
br_y 297.0
"""
# master data rows that allow test:0 (by its SANE name: the test backend has no USB ids)
ALLOW_TEST_0 = {
    "id": "SANE-TEST",
    "modality": "document",
    "make": "SANE",
    "model": "test",
    "sane_device": "test:0",
}


def scanner_rows(**scan_config: object) -> list[tuple[str, dict]]:
    """Master-data rows for ``seeded_kiosk(extra_rows=...)``: test:0 allowed, and ``scan_config`` as the
    scan defaults (config ``devices.document_scanner``) with the backend's failure switch off."""
    value = {"backend_options": {"read-return-value": "Default"}, **scan_config}
    return [("device_models", ALLOW_TEST_0), ("config", {"id": "devices.document_scanner", "value": value})]


def sane_test_backend_missing() -> str:
    """Why the SANE test backend cannot run here ("" when it can)."""
    if importlib.util.find_spec("sane") is None:
        return "python-sane is not installed (pip install -e '.[dev]')"
    if not glob.glob("/usr/lib/*/sane/libsane-test.so*") and not glob.glob("/usr/lib/sane/libsane-test.so*"):
        return "SANE's test backend is not installed (installers/system-deps.sh: libsane1)"
    return ""


def write_sane_config(folder: Path, *, devices: int = 2) -> Path:
    """A SANE config dir with only the test backend, ``devices`` virtual scanners (test:0, test:1...)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dll.conf").write_text("test\n")
    (folder / "test.conf").write_text(TEST_CONF.format(devices=devices))
    return folder

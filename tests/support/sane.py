"""SANE's own ``test`` backend, enabled through a private SANE_CONFIG_DIR, for the scanner tests.

The backend is a real SANE device (libsane-test, Debian ``libsane1``): it produces test pictures from a
flatbed or a document feeder (empty after 10 sheets) and returns any SANE status on request (option
``read-return-value``), which is how the tests provoke "no paper", "cover open", "device busy" and
an I/O error (unplugged). The private config lists only ``test`` in dll.conf, so no real scanner or
network backend is probed. libsane reads the config at init: :func:`use_sane_test_backend` must run
before the process's first scan (the fixtures in the test modules do it, per xdist worker).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
from pathlib import Path

import pytest

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


def pages_in(pdf: bytes) -> int:
    """How many pages a scanned PDF has (its page objects)."""
    return len(re.findall(rb"/Type /Page\b", pdf))


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


def use_sane_test_backend(folder: Path) -> Path:
    """Point this process's libsane at ``folder`` (skips the test where the backend is missing)."""
    if reason := sane_test_backend_missing():
        pytest.skip(reason)
    write_sane_config(folder)
    os.environ["SANE_CONFIG_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def sane_config(tmp_path_factory) -> Path:
    """The test backend for this worker process (two virtual scanners)."""
    return use_sane_test_backend(tmp_path_factory.mktemp("sane-config"))

"""``make screenshots``' scanner scenes (demo/screenshots_scanner.py) still run against the kiosk as it
is: a scanned document and the "scanner stopped answering" message, in English and Arabic."""

from __future__ import annotations

import os

import pytest
from PySide6.QtGui import QImage

from demo.screenshots import _settle, _wait
from demo.screenshots_scanner import scanner_scenes
from tests.support.sane import sane_test_backend_missing


@pytest.mark.skipif(bool(sane_test_backend_missing()), reason=sane_test_backend_missing() or "ready")
def test_the_scanner_scenes_save_their_four_pictures(qapp, tmp_path):
    before = os.environ.get("SANE_CONFIG_DIR")
    saved = scanner_scenes(qapp, tmp_path, wait=_wait, settle=_settle, size=(1024, 768))
    assert [p.name for p in saved] == [
        "33-documents-scanner.png",
        "33a-documents-scanner-arabic.png",
        "34-documents-scanner-stopped.png",
        "34a-documents-scanner-stopped-arabic.png",
    ]
    assert all(QImage(str(p)).size().toTuple() == (1024, 768) for p in saved)
    assert os.environ.get("SANE_CONFIG_DIR") == before  # the worker's own SANE settings are left as found

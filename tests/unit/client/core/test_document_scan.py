"""Scanning into a document through the kiosk's capture port, on SANE's test backend: the scanners the
officer may pick, one PDF of all the pages with each JPEG embedded as scanned, Add page, the master-data
defaults, and nothing changed by a failed scan."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from types import SimpleNamespace

import pytest

from client.core.capture import DeviceCapture
from client.core.document_scan import (
    MAX_DOCUMENT_BYTES,
    DocumentScanning,
    DocumentTooLarge,
    assemble_pdf,
    scan_defaults,
)
from device_drivers.allow_list import AllowList
from device_drivers.base import DeviceUnavailableError
from device_drivers.composition import build_device_manager
from device_drivers.manager import DeviceManager
from device_drivers.sane import CoverOpenError, ScanSettings
from tests.support.sane import ALLOW_TEST_0, pages_in, sane_config  # noqa: F401 - the fixture

QUICK = ScanSettings(resolution_dpi=75, backend_options={"read-return-value": "Default"})


@pytest.fixture(scope="module")
def scanning(sane_config):  # noqa: F811
    capture = DeviceCapture(
        lambda: build_device_manager(barcode=False, document_scanners=True, allow_list=AllowList()),
        device_models=lambda: [ALLOW_TEST_0],  # what master data's device_models hold
    )
    capture.refresh()
    yield DocumentScanning(capture)
    capture.close()


def test_only_allowed_scanners_are_offered_and_the_rest_are_listed_not_allowed(scanning):
    assert [(c.key, c.ready) for c in scanning.scanners()] == [("sane:test:0", True)]
    states = {s.key: s.status for s in scanning.capture.device_states()}
    assert states == {"sane:test:0": "ready", "sane:test:1": "not allowed"}
    assert not scanning.capture.has_document_camera  # a scanner is never taken for the camera
    assert scanning.capabilities("sane:test:0") == ("flatbed", "adf")


def test_feeder_pages_become_one_pdf_and_add_page_appends(scanning):
    three = scanning.scan("sane:test:0", replace(QUICK, source="adf", max_pages=3))  # master data: 3
    assert three.page_count == 3 and three.content_type == "application/pdf"
    assert pages_in(three.data) == 3 and three.data.startswith(b"%PDF")
    assert all(page.jpeg in three.data for page in three.pages)  # each JPEG as scanned, not re-encoded
    four = scanning.scan("sane:test:0", QUICK, append_to=three)
    assert four.page_count == 4 and four.pages[:3] == three.pages and pages_in(four.data) == 4
    info = subprocess.run(["pdfinfo", "-"], input=four.data, capture_output=True, check=False)
    if info.returncode == 0:  # poppler-utils (installers/system-deps.sh): A4 pages, as scanned
        assert b"Pages:           4" in info.stdout and b"(A4)" in info.stdout


def test_a_failed_scan_changes_nothing(scanning):
    one = scanning.scan("sane:test:0", QUICK)
    opened = ScanSettings(resolution_dpi=75, backend_options={"read-return-value": "SANE_STATUS_COVER_OPEN"})
    with pytest.raises(CoverOpenError):
        scanning.scan("sane:test:0", opened, append_to=one)
    assert one.page_count == 1 and pages_in(one.data) == 1
    assert scanning.preview("sane:test:0", QUICK).startswith(b"\xff\xd8")


def test_master_data_defaults_and_a_bad_config_falls_back_with_the_reason():
    def master(value):
        return SimpleNamespace(
            config=lambda key, default=None: value if key == "devices.document_scanner" else default
        )

    assert scan_defaults(master(None)).settings == ScanSettings()
    good = scan_defaults(master({"source": "adf", "resolution_dpi": 200}))
    assert (good.settings.source, good.settings.resolution_dpi, good.problem) == ("adf", 200, "")
    bad = scan_defaults(master({"resolution_dpi": 5000}))
    assert bad.settings == ScanSettings() and "resolution_dpi" in bad.problem


def test_the_document_is_bounded():
    page = SimpleNamespace(jpeg=b"\xff\xd8" + b"0" * 10, width=100, height=100, dpi=100)
    with pytest.raises(DocumentTooLarge):
        assemble_pdf([page] * 51)
    big = SimpleNamespace(jpeg=b"0" * (MAX_DOCUMENT_BYTES + 1), width=100, height=100, dpi=100)
    with pytest.raises(DocumentTooLarge):
        assemble_pdf([big])
    with pytest.raises(ValueError):
        assemble_pdf([])


def test_a_driver_that_cannot_run_here_is_listed_with_the_reason():
    def no_sane():
        raise DeviceUnavailableError("Document scanners (SANE) are not available on this system (Windows)")

    capture = DeviceCapture(lambda: DeviceManager({"sane": no_sane}))
    try:
        capture.refresh()
        [state] = capture.device_states()
        assert (state.key, state.status) == ("driver:sane", "unavailable")
        assert "not available on this system" in state.detail
        assert DocumentScanning(capture).scanners() == []
    finally:
        capture.close()

"""The SANE adapter against SANE's real ``test`` backend (tests/support/sane.py), run as the kiosk runs
it, in the SANE host process (device_drivers/sane/host.py): listing and the master-data allow-list,
preview, one flatbed page, three feeder pages, the typed errors SANE statuses become (across the
process boundary), a hot-plug cancel; and in this process, where a test reaches into the device: an
unplug in the middle of a feeder batch, SIGPIPE, and the driver switching itself off without SANE."""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image

from device_drivers.allow_list import AllowList
from device_drivers.base import DeviceStatus, DeviceUnavailableError
from device_drivers.sane import (
    CoverOpenError,
    NoPaperError,
    PaperJamError,
    SaneBackend,
    SaneSource,
    ScannerBusyError,
    ScannerUnpluggedError,
    ScanSettings,
    ScanSettingsError,
    reader_threads,
    settings_from_config,
)
from device_drivers.sane.adapter import SaneScanner
from device_drivers.sane.errors import ScannerAccessDeniedError
from device_drivers.sane.remote import SaneHostBackend
from tests.support.crash_report import sigpipe_ignored
from tests.support.sane import ALLOW_TEST_0, sane_config  # noqa: F401 - the fixture

A4_MM = (210, 297)


def settings(**changes) -> ScanSettings:
    """Low resolution (fast); the test backend's failure switch put back to normal every time, as its
    options outlive a scan."""
    values = {"resolution_dpi": 75, "backend_options": {"read-return-value": "Default"}, **changes}
    return ScanSettings(**values)


@pytest.fixture(scope="module")
def backend(sane_config):  # noqa: F811
    """libsane in its host process, as the kiosk runs it."""
    backend = SaneHostBackend()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def local_backend(sane_config):  # noqa: F811
    """libsane in this process (what the host runs), for the tests that reach into the device."""
    backend = SaneBackend()
    yield backend
    backend.close()


def allowed_scanner(backend) -> SaneScanner:
    found = {info.key: device for info, device in SaneSource(backend, AllowList([ALLOW_TEST_0])).discover()}
    backend.forget("test:0")  # a fresh handle: the test backend's feeder holds 10 sheets again
    return found["sane:test:0"]


@pytest.fixture(scope="module")
def source(backend):
    return SaneSource(backend, AllowList([ALLOW_TEST_0]))


@pytest.fixture
def scanner(backend):
    return allowed_scanner(backend)


@pytest.fixture
def local_scanner(local_backend):
    return allowed_scanner(local_backend)


# libsane in this process can, rarely, leave a malloc lock held for ever (the reader thread cancelled
# while it exits; docs/devices.md) and then blocks with the GIL held, where no signal handler runs: a
# watchdog thread ends the worker instead, so such a run fails in a minute rather than hanging CI.
in_process = pytest.mark.timeout(60, method="thread")


def expected_pixels(dpi: int) -> tuple[int, int]:
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def test_scanners_are_listed_and_only_the_allowed_one_is_offered(source):
    found = {info.key: (info, device) for info, device in source.discover()}
    assert set(found) == {"sane:test:0", "sane:test:1"}
    allowed, device = found["sane:test:0"]
    assert allowed.status == DeviceStatus.READY and device is not None
    assert allowed.identity.make == "Noname" and allowed.identity.device_id == "SANE-TEST"
    refused, nothing = found["sane:test:1"]
    assert refused.status == DeviceStatus.NOT_ALLOWED and nothing is None
    assert "not in master data" in refused.detail


def test_capabilities_and_the_low_resolution_preview(scanner):
    assert scanner.capabilities().sources == ("flatbed", "adf")
    page = scanner.preview(settings(preview_dpi=50))
    assert (page.dpi, page.width) == (50, expected_pixels(50)[0])
    assert abs(page.height - expected_pixels(50)[1]) <= 1
    assert Image.open(io.BytesIO(page.jpeg)).format == "JPEG"


def test_one_flatbed_page_at_the_asked_resolution_and_mode(scanner):
    [page] = scanner.scan(settings(resolution_dpi=150, mode="gray"))
    image = Image.open(io.BytesIO(page.jpeg))
    assert image.mode == "L" and image.info["dpi"] == (150, 150)
    assert page.width == expected_pixels(150)[0] and abs(page.height - expected_pixels(150)[1]) <= 1


@in_process
def test_a_scan_leaves_sigpipe_ignored_though_the_backend_resets_it(local_scanner):
    # SANE's test backend starts its reader through sanei_thread, which sets SIGPIPE to its default
    # action: a later write to a closed socket would then kill the process (the host) silently.
    local_scanner.scan(settings())
    assert sigpipe_ignored()


def test_three_pages_from_the_feeder_and_every_sheet_when_no_count_is_given(scanner, backend):
    pages = scanner.scan(settings(source="adf"), pages=3)
    assert len(pages) == 3 and all(p.width == expected_pixels(75)[0] for p in pages)
    backend.forget("test:0")
    assert len(scanner.scan(settings(source="adf", max_pages=50))) == 10  # the feeder ran empty


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        ("SANE_STATUS_NO_DOCS", NoPaperError, "no_paper"),
        ("SANE_STATUS_COVER_OPEN", CoverOpenError, "cover_open"),
        ("SANE_STATUS_DEVICE_BUSY", ScannerBusyError, "scanner_busy"),
        ("SANE_STATUS_IO_ERROR", ScannerUnpluggedError, "scanner_unplugged"),
        ("SANE_STATUS_JAMMED", PaperJamError, "paper_jam"),
        ("SANE_STATUS_ACCESS_DENIED", ScannerAccessDeniedError, "access_denied"),
    ],
)
def test_sane_statuses_become_typed_errors_and_the_scanner_works_again(scanner, status, error, code):
    with pytest.raises(error) as raised:
        scanner.scan(settings(backend_options={"read-return-value": status}))
    assert raised.value.device_error == code and raised.value.sane_status == status
    assert len(scanner.scan(settings())) == 1  # nothing stuck: the next scan works


@in_process
def test_unplugged_after_the_first_sheet_fails_the_whole_batch(local_scanner):
    def pull_the_cable(page: int) -> None:  # on the SANE thread, between sheet 1 and sheet 2
        local_scanner.backend.open("test:0").device.read_return_value = "SANE_STATUS_IO_ERROR"

    with pytest.raises(ScannerUnpluggedError, match="page 2"):
        local_scanner.scan(settings(source="adf"), pages=3, on_page=pull_the_cable)
    assert len(local_scanner.scan(settings(source="adf"), pages=2)) == 2  # nothing half-kept, usable again


@in_process
def test_a_scan_that_fails_cancels_only_once_its_reader_is_at_rest(local_scanner, monkeypatch):
    # the test backend's error comes at once, while its reader thread may still be allocating its
    # buffer: a cancel that lands there wedges libsane (device_drivers/sane/reader_threads.py)
    waits: list[tuple[int, bool]] = []
    real_wait = reader_threads.wait_until_parked

    def recorded(threads, timeout_s=reader_threads.PARK_TIMEOUT_S):
        threads = set(threads)
        waits.append((len(threads), real_wait(threads, timeout_s)))
        return waits[-1][1]

    monkeypatch.setattr(reader_threads, "wait_until_parked", recorded)
    with pytest.raises(PaperJamError):
        local_scanner.scan(settings(backend_options={"read-return-value": "SANE_STATUS_JAMMED"}))
    assert waits == [(1, True)]  # one reader, and it came to rest (not the 2 s limit)
    assert len(local_scanner.scan(settings())) == 1


def test_the_hotplug_monitor_cancels_a_blocked_scan_at_once(scanner):
    delay = {"read-return-value": "Default", "read-delay": True, "read-delay-duration": 20000}
    slow = settings(resolution_dpi=300, backend_options=delay)  # 20 ms a buffer: about 10 s a page
    result: dict[str, BaseException] = {}

    def scan() -> None:
        try:
            scanner.scan(slow)
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=scan)
    worker.start()
    time.sleep(0.5)  # the read is under way (about 10 s at this delay)
    started = time.monotonic()
    scanner.unplugged()  # what SaneSource does when the monitor reports its USB device removed
    worker.join(10)
    assert not worker.is_alive() and time.monotonic() - started < 3
    assert isinstance(result.get("error"), ScannerUnpluggedError)
    assert (
        len(scanner.scan(settings(backend_options={"read-return-value": "Default", "read-delay": False})))
        == 1
    )


def test_without_python_sane_the_driver_reports_not_available():
    def missing():
        raise DeviceUnavailableError("Document scanners (SANE) are not available on this system")

    backend = SaneBackend(loader=missing)
    try:
        with pytest.raises(DeviceUnavailableError, match="not available on this system"):
            SaneSource(backend, AllowList())
    finally:
        backend.close()


def test_master_data_settings_are_checked_key_by_key():
    assert settings_from_config(None) == ScanSettings()
    chosen = settings_from_config({"source": "adf", "resolution_dpi": 200, "page_size": "Letter"})
    assert (chosen.source, chosen.resolution_dpi, chosen.page_mm) == ("adf", 200, (215.9, 279.4))
    for bad, word in [
        ({"resolution_dpi": 20}, "resolution_dpi"),
        ({"resolution_dpi": "300"}, "resolution_dpi"),
        ({"mode": "sepia"}, "mode"),
        ({"page_size": "A3"}, "page_size"),
        ({"max_pages": 500}, "max_pages"),
        ({"dpi": 300}, "unknown keys: dpi"),
        ({"backend_options": {"Bad Name": 1}}, "backend_options"),
        ([], "JSON object"),
    ]:
        with pytest.raises(ScanSettingsError, match=word):
            settings_from_config(bad)
    assert ScanSettings(resolution_dpi=300, preview_dpi=30).for_preview().resolution_dpi == 30

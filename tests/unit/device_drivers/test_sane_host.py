"""The SANE host process (device_drivers/sane/host.py and remote.py) against SANE's real ``test`` backend:
libsane never loads in the kiosk's process; a host that dies or wedges fails the call in progress with
a device error and the next call gets a new host; the C library's unwinder is loaded before any
scan; a host without python-sane says SANE is not available; the host leaves with the kiosk; a key
it cannot use is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from device_drivers.allow_list import AllowList
from device_drivers.base import DeviceUnavailableError
from device_drivers.host_process import PROJECT_ROOT
from device_drivers.sane import SaneSource, ScanSettings
from device_drivers.sane import remote as remote_module
from device_drivers.sane.errors import ScannerStoppedError
from device_drivers.sane.remote import SaneHostBackend
from tests.support.sane import ALLOW_TEST_0, sane_config  # noqa: F401 - the fixture

NORMAL = {"read-return-value": "Default", "read-delay": False}
SLOW = {"read-return-value": "Default", "read-delay": True, "read-delay-duration": 20000}  # ~10 s a page


@pytest.fixture
def host(sane_config):  # noqa: F811
    backend = SaneHostBackend()
    yield backend
    backend.close()


def scanner_of(backend: SaneHostBackend):
    found = {info.key: device for info, device in SaneSource(backend, AllowList([ALLOW_TEST_0])).discover()}
    return found["sane:test:0"]


def test_libsane_never_loads_in_the_kiosk_process(sane_config):  # noqa: F811
    script = textwrap.dedent(
        """
        import signal, sys
        from device_drivers.allow_list import AllowList
        from device_drivers.sane import SaneSource, ScanSettings
        from device_drivers.sane.remote import SaneHostBackend
        from tests.support.sane import ALLOW_TEST_0
        backend = SaneHostBackend()
        found = dict((i.key, d) for i, d in SaneSource(backend, AllowList([ALLOW_TEST_0])).discover())
        [page] = found["sane:test:0"].scan(ScanSettings(resolution_dpi=75))
        backend.close()
        print(page.width, "_sane" in sys.modules, signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["620", "False", "True"]


def test_a_host_killed_mid_scan_fails_that_scan_and_the_next_call_starts_a_new_one(host):
    scanner = scanner_of(host)
    first = host.pid
    outcome: dict[str, BaseException] = {}

    def scan() -> None:
        try:
            scanner.scan(ScanSettings(resolution_dpi=300, backend_options=SLOW))
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=scan)
    worker.start()
    time.sleep(0.5)  # the page is being read (about 10 s at this delay)
    os.kill(first, signal.SIGKILL)
    worker.join(10)
    assert not worker.is_alive()
    stopped = outcome.get("error")
    assert isinstance(stopped, ScannerStoppedError) and stopped.device_error == "scanner_stopped"
    [page] = scanner.scan(ScanSettings(resolution_dpi=75, backend_options=NORMAL))
    assert page.width == 620 and host.pid not in (None, first)


def test_a_host_that_stops_answering_is_stopped_after_its_time_and_replaced(host, monkeypatch):
    scanner = scanner_of(host)
    wedged = host.pid
    os.kill(wedged, signal.SIGSTOP)  # as a host stuck in libsane looks from outside
    monkeypatch.setattr(remote_module, "LIST_TIMEOUT_S", 1.0)
    started = time.monotonic()
    with pytest.raises(ScannerStoppedError, match="no answer to list_devices in 1 s"):
        host.list_devices()
    assert time.monotonic() - started < 5
    assert [entry.name for entry in host.list_devices()] == ["test:0", "test:1"]
    assert host.pid not in (None, wedged)
    assert len(scanner.scan(ScanSettings(resolution_dpi=75, backend_options=NORMAL))) == 1


def test_the_host_has_the_c_library_load_its_thread_unwinder_before_any_scan():
    # else a libsane reader's first exit does that load, holding the dynamic loader's lock (host.py)
    script = textwrap.dedent(
        """
        import sys
        from device_drivers.sane.host import load_unwinder
        print("@@ before @@", file=sys.stderr, flush=True)
        load_unwinder()
        print("@@ loaded @@", file=sys.stderr, flush=True)
        load_unwinder()  # a second cancel has nothing left to load
        print("@@ again @@", file=sys.stderr, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LD_DEBUG": "files"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stderr
    first, second = log.index("@@ before @@"), log.index("@@ loaded @@")
    assert "libgcc_s.so.1 [0];  dynamically loaded by" in log[first:second]
    assert "dynamically loaded" not in log[second : log.index("@@ again @@")]


def test_a_host_without_python_sane_says_scanners_are_not_available(sane_config, tmp_path):  # noqa: F811
    (tmp_path / "sane.py").write_text("raise ImportError('no python-sane here')\n")
    backend = SaneHostBackend(env={"PYTHONPATH": str(tmp_path)})
    try:
        with pytest.raises(DeviceUnavailableError, match="not available on this system"):
            SaneSource(backend, AllowList([ALLOW_TEST_0]))
        assert backend.pid is None  # stopped, and not started again for nothing
        with pytest.raises(DeviceUnavailableError):
            backend.list_devices()
    finally:
        backend.close()


def test_closing_while_the_host_is_stopped_does_not_wait_for_it(sane_config):  # noqa: F811
    backend = SaneHostBackend()
    backend.list_devices()
    process = backend._process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)  # as a host stuck in libsane looks from outside
    started = time.monotonic()
    backend.close()
    assert process.poll() is not None and time.monotonic() - started < 10  # killed after 3 s


def test_the_host_leaves_with_the_kiosk(host):
    host.list_devices()
    process = host._process
    assert process is not None
    host.close()
    assert process.returncode == 0  # it ended by itself when its stdin closed, not killed


@pytest.mark.parametrize("key", [b"", b"zz\n", b"00" * 16 + b"\n"], ids=["none", "not hex", "too short"])
def test_the_host_refuses_a_key_it_cannot_use(key, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "device_drivers.sane.host", str(tmp_path / "host.sock")],
        input=key,
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2 and b"32-byte key" in done.stderr
    assert not (tmp_path / "host.sock").exists()

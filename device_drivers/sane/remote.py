"""The kiosk's side of the SANE host (device_drivers/sane/host.py): libsane runs in that child process,
never in the kiosk's, so a backend that wedges stops one scan instead of the kiosk.

:class:`SaneHostBackend` has the surface :class:`~device_drivers.sane.source.SaneSource` uses (as the
in-process :class:`~device_drivers.sane.backend.SaneBackend` has), and its scanners are
:class:`RemoteSaneScanner`: a :class:`~device_drivers.sane.adapter.SaneScanner` whose capabilities and
scans are the host's.

Thread rules: every call blocks until the host answers or its time runs out; call from device threads
(the DeviceManager's), never the UI thread. Calls may come from several threads at once (an unplug
while a scan blocks): each thread talks to the host over a connection of its own. A call that outlives
its time kills the host, and a host that dies fails the calls in progress (ScannerStoppedError: "the
scanner stopped answering"); the next call starts a new host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.managers import BaseManager
from typing import Any

from device_drivers.base import DeviceUnavailableError
from device_drivers.host_process import spawn_host
from device_drivers.sane.adapter import SaneScanner, ScannedPage, ScannerCapabilities, pages_wanted
from device_drivers.sane.backend import SaneDeviceEntry
from device_drivers.sane.errors import ScannerStoppedError
from device_drivers.sane.settings import ScanSettings

log = logging.getLogger(__name__)
HOST_MODULE = "device_drivers.sane.host"
START_TIMEOUT_S = 20.0  # Python, python-sane and libsane's init, on a slow kiosk
LIST_TIMEOUT_S = 60.0  # network backends probe when listing
OPEN_TIMEOUT_S = 60.0  # a USB scanner warms its lamp when opened
SCAN_TIMEOUT_S = 120.0  # a page at the highest resolution, plus this much per further page
SHORT_TIMEOUT_S = 10.0


class _KioskManager(BaseManager):
    pass


_KioskManager.register("sane")


class SaneHostBackend:
    """libsane in a host process: started on first use, restarted after it dies or is killed.
    ``env`` adds variables for the host (the kiosk's own environment is never changed)."""

    def __init__(self, *, env: Mapping[str, str] | None = None, python: str | None = None) -> None:
        self.env, self.python = dict(env or {}), python or sys.executable
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._service: Any = None
        self._folder: str | None = None
        self._busy = 0
        self.unavailable_reason: str | None = None

    # -- the process --------------------------------------------------------------------------------
    def _connected(self) -> tuple[subprocess.Popen, Any]:
        """The running host and its service proxy, starting a host when none runs."""
        with self._lock:
            if self.unavailable_reason is not None:
                raise DeviceUnavailableError(self.unavailable_reason)
            if self._process is None or self._process.poll() is not None:
                self._start()
            return self._process, self._service  # type: ignore[return-value]

    def _start(self) -> None:
        if sys.platform == "win32":
            self.unavailable_reason = "Document scanners (SANE) are not available on this system (Windows)"
            raise DeviceUnavailableError(self.unavailable_reason)
        self._drop_folder()
        self._folder = tempfile.mkdtemp(prefix="openreg-sane-")  # 0700: only this user can connect
        address, key = os.path.join(self._folder, "host.sock"), secrets.token_bytes(32)
        try:
            process = spawn_host(self.python, HOST_MODULE, address, env=self.env, name="sane-host-log")
        except OSError as exc:
            self.unavailable_reason = f"Document scanners (SANE) are not available on this system ({exc})"
            raise DeviceUnavailableError(self.unavailable_reason) from None
        try:
            process.stdin.write(key.hex().encode() + b"\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]  # kept open: the host leaves when it closes
            _wait_ready(process, START_TIMEOUT_S)
            manager = _KioskManager(address=address, authkey=key)
            manager.connect()
            service = manager.sane()  # type: ignore[attr-defined]
        except Exception as exc:
            _kill(process)
            raise ScannerStoppedError(f"the SANE host did not start: {exc}") from None
        self._process, self._service = process, service

    def _discard(self, process: subprocess.Popen) -> None:
        """Forget a host whose connection broke (the next call starts another) and make sure it is gone."""
        with self._lock:
            if self._process is process:
                self._process = self._service = None
        _kill(process)

    def _drop_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def call(self, method: str, *args: object, timeout_s: float) -> Any:
        """``method(*args)`` on the host's SaneService; the host is killed if it takes over ``timeout_s``."""
        process, service = self._connected()
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _kill(process)

        timer = threading.Timer(timeout_s, expire)
        timer.daemon = True
        with self._lock:
            self._busy += 1
        timer.start()
        try:
            return getattr(service, method)(*args)
        except (EOFError, OSError) as exc:  # the connection broke: the host died or was killed
            self._discard(process)
            if expired.is_set():
                log.warning("SANE host gave no answer to %s in %.0f s: stopped it", method, timeout_s)
                raise ScannerStoppedError(
                    f"the SANE host gave no answer to {method} in {timeout_s:.0f} s"
                ) from None
            raise ScannerStoppedError(f"the SANE host stopped during {method} ({exc})") from None
        finally:
            timer.cancel()
            with self._lock:
                self._busy -= 1

    @property
    def pid(self) -> int | None:
        """The running host's process id (None when none runs)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    # -- what SaneSource uses ---------------------------------------------------------------------
    def available(self) -> None:
        """DeviceUnavailableError when SANE cannot run here (the host says so, or cannot start)."""
        try:
            self.call("available", timeout_s=START_TIMEOUT_S)
        except DeviceUnavailableError as exc:
            self.unavailable_reason = str(exc)
            self.close()
            raise

    @property
    def busy(self) -> bool:
        """True while a call (a scan, an open) is in progress: a listing would wait behind it."""
        with self._lock:
            return self._busy > 0

    def list_devices(self, *, reinit: bool = False) -> list[SaneDeviceEntry]:
        return list(self.call("list_devices", reinit, timeout_s=LIST_TIMEOUT_S))

    def forget(self, name: str) -> None:
        """Close the host's handle of ``name``: the next use opens it afresh."""
        self.call("forget", name, timeout_s=SHORT_TIMEOUT_S)

    def scanner(
        self, entry: SaneDeviceEntry, *, settings: Callable[[], ScanSettings], model_id: str
    ) -> RemoteSaneScanner:
        return RemoteSaneScanner(self, entry, settings=settings, model_id=model_id)

    def close(self) -> None:
        """Stop the host (closing its stdin ends it; killed if it lingers). The service proxy is let go
        only once the host is gone: letting it go tells the host so over a new connection, which a
        stopped or wedged host would never answer."""
        with self._lock:
            process, service = self._process, self._service
            self._process = self._service = None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # type: ignore[union-attr]
            try:
                process.wait(3)
            except subprocess.TimeoutExpired:
                _kill(process)
        del service  # its farewell now fails at once on the closed socket
        self._drop_folder()


class RemoteSaneScanner(SaneScanner):
    """A scanner whose libsane calls run in the host; the rest is SaneScanner's (preview, one-page
    capture, status). ``on_page`` is called for each page once the batch has arrived."""

    backend: SaneHostBackend

    def capabilities(self) -> ScannerCapabilities:
        if self._capabilities is None:
            self._capabilities = self.backend.call("capabilities", self.entry, timeout_s=OPEN_TIMEOUT_S)
        return self._capabilities

    def unplugged(self) -> None:
        with contextlib.suppress(Exception):  # no host, or it is gone: no scan to stop
            self.backend.call("unplugged", self.entry.name, timeout_s=SHORT_TIMEOUT_S)

    def scan(
        self,
        settings: ScanSettings,
        *,
        pages: int | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> list[ScannedPage]:
        found: list[ScannedPage] = self.backend.call(
            "scan", self.entry, settings, pages, timeout_s=SCAN_TIMEOUT_S * pages_wanted(settings, pages)
        )
        if on_page is not None:
            for number in range(1, len(found) + 1):
                on_page(number)
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.forget(self.entry.name)


def _wait_ready(process: subprocess.Popen, timeout_s: float) -> None:
    """Wait for the host's ``ready`` line; RuntimeError when it exits or stays silent."""
    deadline = time.monotonic() + timeout_s
    stdout = process.stdout
    assert stdout is not None
    while (left := deadline - time.monotonic()) > 0:
        readable, _w, _x = select.select([stdout], [], [], left)
        if readable:
            line = stdout.readline()
            if line.strip() == b"ready":
                return
            raise RuntimeError(f"it exited with {process.wait(5)}" if not line else f"it said {line[:200]!r}")
    raise RuntimeError(f"no answer in {timeout_s:.0f} s")


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


class _Shared:
    """The kiosk's one host and how many sources use it."""

    backend: SaneHostBackend | None = None
    users = 0


_SHARED = _Shared()
_SHARED_LOCK = threading.Lock()


def shared_backend() -> SaneHostBackend:
    """The kiosk's one SANE host (two would open the same scanners under each other). Each caller gives
    it back with :func:`release_backend`."""
    with _SHARED_LOCK:
        if _SHARED.backend is None:
            _SHARED.backend, _SHARED.users = SaneHostBackend(), 0
        _SHARED.users += 1
        return _SHARED.backend


def running_host_pid() -> int | None:
    """The process id of the kiosk's SANE host while one runs (for tools that watch or stop it)."""
    with _SHARED_LOCK:
        return _SHARED.backend.pid if _SHARED.backend is not None else None


def release_backend(backend: Any) -> None:
    """One user less of the shared host; the last one stops it (a later :func:`shared_backend` starts
    another). Any other backend (a test's own, an in-process one) is closed at once."""
    with _SHARED_LOCK:
        if _SHARED.backend is backend:
            _SHARED.users -= 1
            if _SHARED.users > 0:
                return
            _SHARED.backend = None
    backend.close()

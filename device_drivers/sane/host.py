"""The SANE host: a child process that owns libsane for the kiosk (``python -m device_drivers.sane.host``).

Why a process of its own: SANE backends that read through ``sanei_thread`` stop their reader thread
with an asynchronous ``pthread_cancel`` in ``sane_cancel``. A reader cancelled while it holds a lock of
the C library (the allocator's, the dynamic loader's) dies holding it: ``sane_cancel`` then waits for
it for ever, or the next thread or library the process starts or loads does, and python-sane's
``snap`` cancels holding the GIL, so every thread of the process stops, the kiosk's window with them.
Two things make that rare here: the adapter cancels only once the readers are at rest
(device_drivers/sane/reader_threads.py), and :func:`load_unwinder` does at start the one library load
a reader's exit would otherwise do with the loader's lock held. When it happens anyway, only the host
stops: the kiosk (device_drivers.sane.remote) kills it when a call outlives its time, that call fails,
and the next one starts a new host.

Protocol: ``multiprocessing.managers`` over a Unix socket whose path the kiosk gives as the one
argument, inside a folder only its user can enter. The kiosk writes the 32-byte authentication key, in
hex, as the first line on stdin (never on the command line, which other users can read); the host
answers ``ready`` on stdout once it listens. It exposes one :class:`SaneService`.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable
from multiprocessing.managers import BaseManager
from typing import TypeVar

from device_drivers.base import DeviceError
from device_drivers.sane.adapter import SaneScanner, ScannedPage, ScannerCapabilities
from device_drivers.sane.backend import SaneBackend, SaneDeviceEntry
from device_drivers.sane.errors import ScanFailedError
from device_drivers.sane.settings import ScanSettings

T = TypeVar("T")
EXPOSED = ("available", "list_devices", "capabilities", "scan", "unplugged", "forget")


class SaneService:
    """The scanners libsane sees, for the kiosk. Each method runs on the thread of the manager
    connection that called it (several at once: ``unplugged`` comes while a ``scan`` blocks); the
    SaneBackend runs every libsane call on its one thread. Only device errors leave (python-sane's own
    error type is turned into one): the kiosk never loads python-sane to read an answer."""

    def __init__(self, backend: SaneBackend | None = None) -> None:
        self.backend = backend or SaneBackend()
        self._scanners: dict[str, SaneScanner] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _guarded(during: str, work: Callable[[], T]) -> T:
        try:
            return work()
        except DeviceError:
            raise
        except Exception as exc:
            raise ScanFailedError(f"{during}: {exc}") from None

    def _scanner(self, entry: SaneDeviceEntry) -> SaneScanner:
        with self._lock:
            scanner = self._scanners.get(entry.name)
            if scanner is None or scanner.entry != entry:
                scanner = self._scanners[entry.name] = SaneScanner(self.backend, entry)
            return scanner

    def available(self) -> None:
        """DeviceUnavailableError when libsane cannot run in this process."""
        self._guarded("starting SANE", self.backend.available)

    def list_devices(self, reinit: bool) -> list[SaneDeviceEntry]:
        return self._guarded("listing scanners", lambda: self.backend.list_devices(reinit=reinit))

    def capabilities(self, entry: SaneDeviceEntry) -> ScannerCapabilities:
        return self._guarded(f"opening {entry.name}", self._scanner(entry).capabilities)

    def scan(self, entry: SaneDeviceEntry, settings: ScanSettings, pages: int | None) -> list[ScannedPage]:
        return self._guarded(
            f"scanning with {entry.name}", lambda: self._scanner(entry).scan(settings, pages=pages)
        )

    def unplugged(self, name: str) -> None:
        """The kiosk's hot-plug monitor saw the scanner leave: a scan in progress ends now."""
        with self._lock:
            scanner = self._scanners.get(name)
        if scanner is not None:
            scanner.unplugged()

    def forget(self, name: str) -> None:
        """Close ``name``'s handle: the next use opens it afresh."""
        with self._lock:
            self._scanners.pop(name, None)
        self._guarded(f"closing {name}", lambda: self.backend.forget(name))


def serve(address: str, authkey: bytes, service: SaneService) -> None:
    """Listen on ``address``, say ``ready`` on stdout, and answer until killed or stdin closes."""

    class HostManager(BaseManager):
        pass

    HostManager.register("sane", callable=lambda: service, exposed=EXPOSED)
    server = HostManager(address=address, authkey=authkey).get_server()
    print("ready", flush=True)

    def exit_with_the_kiosk() -> None:
        sys.stdin.read()  # the kiosk's end of the pipe closes when it exits, however it exits
        server.stop_event.set()

    threading.Thread(target=exit_with_the_kiosk, name="sane-host-stdin", daemon=True).start()
    server.serve_forever()


def load_unwinder() -> None:
    """Have the C library load its thread unwinder (libgcc_s) now, as a cancel does the first time.

    CPython never ends a thread with ``pthread_exit`` (bpo-44434), so in this process the first
    thread to do so is a libsane reader, which then loads a library, with the dynamic loader's lock
    held, as it exits. Here a native thread asleep in ``sleep()`` is cancelled and joined instead.
    Measured with five A4 300 dpi scans per fresh host: 9 of 60 hosts hung without it, 0 of 120 with it."""
    try:
        libc = ctypes.CDLL(None)
        thread = ctypes.c_ulong()
        start = ctypes.cast(libc.sleep, ctypes.c_void_p)
        if libc.pthread_create(ctypes.byref(thread), None, start, ctypes.c_void_p(60)) == 0:
            libc.pthread_cancel(thread)
            libc.pthread_join(thread, None)
    except (OSError, AttributeError):  # a C library without these: nothing to load ahead
        pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m device_drivers.sane.host SOCKET_PATH (key in hex on stdin)", file=sys.stderr)
        return 2
    try:
        authkey = bytes.fromhex(sys.stdin.readline().strip())
    except ValueError:
        authkey = b""
    if len(authkey) != 32:
        print("sane host: the first line on stdin must be a 32-byte key in hex", file=sys.stderr)
        return 2
    load_unwinder()
    serve(args[0], authkey, SaneService())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

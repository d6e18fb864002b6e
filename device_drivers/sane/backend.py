"""libsane in the process that runs it -- the SANE host (host.py, which says why it is not the kiosk)
-- and the thread every libsane call runs on.

Thread rule: libsane and most of its backends are not thread-safe, and every call may block (a USB
scanner warms its lamp in ``sane_open``, a network backend probes in ``sane_get_devices``). So each
libsane call -- init, device listing, open, options, start, read, close, exit -- runs on the one
``device-sane`` thread owned by :class:`SaneBackend`, whichever device thread asked for it. The single
exception is ``sane_cancel``, which the SANE standard allows from any thread (it exists to stop a
blocked read): :meth:`SaneHandle.cancel_from_any_thread` uses it when a scanner is unplugged mid-scan.

Signals: SANE backends that read through ``sanei_thread`` (its ``test`` backend among them) set SIGPIPE
back to its default action when a scan starts, which would let any later write to a closed socket or
pipe -- the kiosk's connection, or any socket of a process using this in-process -- kill it silently.
:func:`keep_sigpipe_ignored` puts Python's setting back after each page, cancel and call.

python-sane is imported on first use: where it or libsane is missing (Windows, macOS without SANE, a
kiosk built without the extra), the backend raises ``DeviceUnavailableError`` ("not available on this
system") and only this driver is switched off.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from device_drivers.base import DeviceUnavailableError
from device_drivers.device_thread import DeviceThread
from device_drivers.sane.errors import error_for

T = TypeVar("T")
MAX_DEVICES = 64  # a listing longer than this is cut: a kiosk has a handful of scanners


@dataclass(frozen=True)
class SaneDeviceEntry:
    """One line of ``sane_get_devices``: the device name to open, vendor, model and kind."""

    name: str
    vendor: str
    model: str
    kind: str


def load_python_sane() -> Any:
    """The ``sane`` module (python-sane); DeviceUnavailableError with the reason where it cannot load."""
    if sys.platform == "win32":
        raise DeviceUnavailableError("Document scanners (SANE) are not available on this system (Windows)")
    try:
        return importlib.import_module("sane")
    except (ImportError, OSError) as exc:
        raise DeviceUnavailableError(
            f"Document scanners (SANE) are not available on this system: python-sane/libsane missing ({exc})"
        ) from exc


def keep_sigpipe_ignored() -> None:
    """Ignore SIGPIPE again at the C level (any thread; no-op where Python does not ignore it)."""
    if sys.platform == "win32" or signal.getsignal(signal.SIGPIPE) is not signal.SIG_IGN:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc_signal = ctypes.CDLL(None).signal
        libc_signal.argtypes, libc_signal.restype = (ctypes.c_int, ctypes.c_void_p), ctypes.c_void_p
        libc_signal(signal.SIGPIPE, signal.SIG_IGN.value)


class SaneHandle:
    """An open scanner (python-sane's ``SaneDev``). Use it only inside :meth:`SaneBackend.call`."""

    def __init__(self, device: Any, name: str) -> None:
        self.device, self.name = device, name
        self.closed = False

    def cancel_from_any_thread(self) -> None:
        """``sane_cancel``: ends a blocked read on the SANE thread (allowed from any thread)."""
        if not self.closed:
            with contextlib.suppress(Exception):  # already idle or gone: nothing to stop
                self.device.cancel()
            keep_sigpipe_ignored()


class SaneBackend:
    """Owns libsane for the process: init on first use, the device listing, open handles, exit."""

    def __init__(self, *, loader: Callable[[], Any] = load_python_sane) -> None:
        self._loader = loader
        self._thread = DeviceThread("sane")
        self._module: Any = None
        self._handles: dict[str, SaneHandle] = {}
        self._lock = threading.Lock()
        self._busy = 0  # calls queued or running on the SANE thread

    # -- running on the SANE thread -----------------------------------------------------------------
    def call(self, fn: Callable[..., T], /, *args: object, timeout: float | None = None) -> T:
        """Run ``fn(*args)`` on the SANE thread and wait (directly when already on it)."""
        if self._thread.owns_current_thread():
            return fn(*args)
        with self._lock:
            self._busy += 1
        try:
            return self._thread.call(fn, *args, timeout=timeout)
        finally:
            keep_sigpipe_ignored()
            with self._lock:
                self._busy -= 1

    @property
    def busy(self) -> bool:
        """True while a call (a scan, an open) is queued or running: a listing would wait behind it."""
        with self._lock:
            return self._busy > 0

    def _sane(self) -> Any:
        """The initialised module (SANE thread only)."""
        if self._module is None:
            module = self._loader()
            try:
                module.init()
            except Exception as exc:
                raise DeviceUnavailableError(f"SANE could not start: {exc}") from exc
            self._module = module
        return self._module

    # -- the public calls (each hops onto the SANE thread) -------------------------------------------
    def available(self) -> None:
        """Raise DeviceUnavailableError when SANE cannot run here; loads and initialises it otherwise."""
        self.call(self._sane)

    def list_devices(self, *, reinit: bool = False) -> list[SaneDeviceEntry]:
        """The scanners libsane sees now. ``reinit``: restart libsane first (sane_exit, sane_init) so
        backends that probe USB only at init see a scanner plugged since; skipped while a handle is open
        for a scan in progress (idle handles are closed and reopened on next use)."""

        def listing() -> list[SaneDeviceEntry]:
            if reinit and self._module is not None:
                self._restart()
            found = []
            for entry in list(self._sane().get_devices())[:MAX_DEVICES]:
                name, vendor, model, kind = (str(part)[:200] for part in tuple(entry)[:4])
                found.append(SaneDeviceEntry(name, vendor, model, kind))
            return found

        return self.call(listing)

    def _restart(self) -> None:
        for handle in list(self._handles.values()):
            self._close_handle(handle)
        with contextlib.suppress(Exception):
            self._module.exit()
        self._module = None

    def open(self, name: str) -> SaneHandle:
        """The open handle of scanner ``name`` (opened now if needed); typed errors (busy, denied...)."""

        def opening() -> SaneHandle:
            handle = self._handles.get(name)
            if handle is not None and not handle.closed:
                return handle
            try:
                device = self._sane().open(name)
            except Exception as exc:
                raise error_for(exc, during=f"opening {name}") from exc
            handle = self._handles[name] = SaneHandle(device, name)
            return handle

        return self.call(opening)

    def forget(self, name: str) -> None:
        """Close and drop ``name``'s handle (after an error, or the scanner was unplugged): the next use
        opens it afresh, so a re-plugged scanner works without restarting the kiosk."""

        def forgetting() -> None:
            handle = self._handles.pop(name, None)
            if handle is not None:
                self._close_handle(handle)

        self.call(forgetting)

    def scanner(self, entry: SaneDeviceEntry, *, settings: Callable[[], Any], model_id: str) -> Any:
        """A SaneScanner of ``entry`` on this backend (settings: the scan defaults' provider)."""
        from device_drivers.sane.adapter import SaneScanner  # the adapter imports this module

        return SaneScanner(self, entry, settings=settings, model_id=model_id)

    def handle_if_open(self, name: str) -> SaneHandle | None:
        """The handle if open (any thread; only for :meth:`SaneHandle.cancel_from_any_thread`)."""
        return self._handles.get(name)

    @staticmethod
    def _close_handle(handle: SaneHandle) -> None:
        if handle.closed:
            return
        handle.closed = True
        with contextlib.suppress(Exception):  # a vanished device cannot close cleanly; exit frees it
            handle.device.close()

    def close(self) -> None:
        """Close every handle and exit libsane, on its thread, after the call in progress."""

        def closing() -> None:
            for handle in list(self._handles.values()):
                self._close_handle(handle)
            self._handles.clear()
            if self._module is not None:
                with contextlib.suppress(Exception):
                    self._module.exit()
                self._module = None

        self._thread.close(then=closing)

"""The libfprint host: a small child process that owns libfprint and answers the kiosk over a pipe.

Run as ``python -m device_drivers.fprint.host`` by :class:`device_drivers.fprint.host_client.FprintHost`
(frames of :mod:`device_drivers.fprint.wire` on stdin/stdout; stderr is its log).

Thread rule: libfprint is driven only from this process's main thread, which runs GLib's main loop on
the *global default* main context. It has to be that context: ``fp_context_enumerate`` and every
``*_sync`` call of libfprint iterate it, and in the kiosk process that context belongs to Qt's GUI
thread (Qt's GLib event dispatcher), so libfprint inside the kiosk would run driver callbacks on the
GUI thread or wait on it. Here nothing else uses it: requests read on a reader thread are handed to the
loop with ``GLib.idle_add`` (thread safe), every libfprint call is the asynchronous API started from a
loop callback, and answers are written from the loop. USB hot-plug (GUsb) is dispatched on the same
loop, so libfprint's own device-added/removed signals arrive here too.

Requests ``{"id", "op", ...}``: ``list``; ``capture`` (``device``, ``timeout_ms``); ``enroll``,
``verify``, ``identify`` (device_drivers.fprint.host_matching: officers' own prints); ``cancel``
(``device``); ``rescan`` (a fresh FpContext when nothing is capturing: re-enumeration after a hot-plug
event); ``quit``. Answers ``{"id", "ok": true, ...}`` or ``{"id", "ok": false, "error": {"kind",
"message"}}``; a capture answer carries the image pixels (8-bit greyscale, row by row) as payload.
Events ``{"event": "hello" | "added" | "removed" | "finger_needed" | "enroll_progress", ...}``; a
``finger_needed`` is sent each time the reader starts waiting for a finger (each touch of an enrolment).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from device_drivers.fprint import host_matching
from device_drivers.fprint.wire import WireClosed, WireError, read_frame, write_frame

PROTOCOL = 1
MAX_DEVICES = 32
MAX_TIMEOUT_MS = 120_000
RETRY_KINDS = {0: "finger_retry", 1: "swipe_too_short", 2: "finger_not_centred", 3: "remove_finger"}


class Writer:
    """Serialises frames onto the kiosk's pipe (answers from the loop, the hello from main)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.lock = stream, threading.Lock()

    def send(self, header: dict, payload: bytes = b"") -> None:
        # the kiosk went away: the reader thread sees the end and stops the loop
        with self.lock, contextlib.suppress(OSError, ValueError):
            write_frame(self.stream, header, payload)


@dataclass
class Capture:
    """One operation in progress on one device (a capture, an enrolment or a match): one at a time."""

    request_id: int
    key: str
    cancellable: Any
    started: float = field(default_factory=time.monotonic)
    timer: int = 0
    timed_out: bool = False
    finger_asked: bool = False
    run: Any = None  # (device, capture) -> None: starts the libfprint call once the device is open
    timeout_ms: int = 0
    deadline: int = 0  # an enrolment's overall timer (host_matching)


class Host:
    """The FpContext, its devices by key, the captures in progress; every method runs on the loop."""

    def __init__(self, writer: Writer, fprint: Any, gio: Any, glib: Any) -> None:
        self.writer, self.FPrint, self.Gio, self.GLib = writer, fprint, gio, glib
        self.loop = glib.MainLoop()
        self.context: Any = None
        self.devices: dict[str, Any] = {}
        self.removed: set[str] = set()
        self.captures: dict[str, Capture] = {}

    # -- devices --------------------------------------------------------------------------------
    def new_context(self) -> None:
        """A fresh FpContext and its enumeration (USB, and virtual devices named by FP_VIRTUAL_*)."""
        self.context = context = self.FPrint.Context()
        self.devices, self.removed = {}, set()
        context.enumerate()  # iterates the default main context until every device is probed
        for device in context.get_devices() or []:
            self._track(device, announce=False)
        context.connect("device-added", lambda _c, device: self._track(device, announce=True))
        context.connect("device-removed", lambda _c, device: self._forget(device))

    @staticmethod
    def key_of(device: Any) -> str:
        return f"{device.get_driver()}:{device.get_device_id()}"[:200]

    def _track(self, device: Any, *, announce: bool) -> None:
        key = self.key_of(device)
        if self.devices.get(key) is device or len(self.devices) >= MAX_DEVICES:
            return
        self.devices[key] = device
        self.removed.discard(key)
        device.connect("removed", lambda d: self._on_removed(key, d))
        device.connect("notify::finger-status", lambda d, _p: self._on_finger_status(key, d))
        if announce:
            self.writer.send({"event": "added", "device": key})

    def _forget(self, device: Any) -> None:
        key = self.key_of(device)
        if self.devices.get(key) is device:
            del self.devices[key]

    def _on_removed(self, key: str, device: Any) -> None:
        """Unplugged: a capture in progress fails by itself (FP_DEVICE_ERROR_REMOVED); an idle open
        device is closed so the context lets go of it. (A device of a context replaced by a rescan
        is none of ours any more.)"""
        if self.devices.get(key) is not device:
            return
        self.removed.add(key)
        self.writer.send({"event": "removed", "device": key})
        if key not in self.captures and device.is_open():
            device.close(None, lambda d, res: self._finish_close(d, res, None))

    def _on_finger_status(self, key: str, device: Any) -> None:
        capture = self.captures.get(key)
        if self.devices.get(key) is not device:
            return
        needed = bool(device.get_finger_status() & self.FPrint.FingerStatusFlags.NEEDED)
        if capture is not None and needed and not capture.finger_asked:
            self.writer.send({"event": "finger_needed", "device": key})
        if capture is not None:
            capture.finger_asked = needed  # the next touch of an enrolment asks again

    def describe(self, key: str, device: Any) -> dict:
        features = device.get_features()
        names = ("capture", "identify", "verify", "storage")
        flags = self.FPrint.DeviceFeature
        present = [n for n in names if features & getattr(flags, n.upper())]
        press = device.get_scan_type() == self.FPrint.ScanType.PRESS
        return {
            "key": key,
            "driver": str(device.get_driver())[:100],
            "device_id": str(device.get_device_id())[:100],
            "name": str(device.get_name() or "")[:200],
            "features": present,
            "scan_type": "press" if press else "swipe",
            "enroll_stages": int(device.get_nr_enroll_stages()),
            "open": bool(device.is_open()),
            "busy": key in self.captures,
            "removed": key in self.removed,
        }

    def listing(self) -> list[dict]:
        return [self.describe(k, d) for k, d in self.devices.items() if k not in self.removed]

    # -- requests ---------------------------------------------------------------------------------
    def dispatch(self, header: dict, payload: bytes = b"") -> bool:
        """Loop callback for one request (from ``GLib.idle_add``); always returns False (run once)."""
        request_id, op = header.get("id"), header.get("op")
        if not isinstance(request_id, int):
            return False
        try:
            if op == "list":
                self.answer(request_id, devices=self.listing())
            elif op == "capture":
                self.start_capture(request_id, str(header.get("device", "")), header.get("timeout_ms"))
            elif op in host_matching.OPS:
                host_matching.start(self, request_id, op, header, payload)
            elif op == "cancel":
                capture = self.captures.get(str(header.get("device", "")))
                if capture is not None:
                    capture.cancellable.cancel()
                self.answer(request_id)
            elif op == "rescan":
                self.rescan(request_id)
            elif op == "quit":
                self.close_all(lambda: (self.answer(request_id), self.loop.quit()))
            else:
                self.fail(request_id, "failed", f"unknown request {op!r}")
        except Exception as exc:  # a bug here must answer, not leave the kiosk waiting
            self.fail(request_id, "failed", f"libfprint host error: {exc}")
        return False

    def answer(self, request_id: int, payload: bytes = b"", **fields: Any) -> None:
        self.writer.send({"id": request_id, "ok": True, **fields}, payload)

    def fail(self, request_id: int, kind: str, message: str) -> None:
        self.writer.send({"id": request_id, "ok": False, "error": {"kind": kind, "message": message[:500]}})

    def start_capture(self, request_id: int, key: str, timeout_ms: object) -> None:
        device = self.devices.get(key)
        if device is not None and not device.get_features() & self.FPrint.DeviceFeature.CAPTURE:
            return self.fail(request_id, "no_image", f"{device.get_name()} only matches on the chip")
        self.begin(request_id, key, timeout_ms, self._capture)

    def begin(self, request_id: int, key: str, timeout_ms: object, run: Any) -> Capture | None:
        """Start one operation on reader ``key``: checks, the timeout timer, open the reader if needed,
        then ``run(device, capture)``. None (and the request failed) when it cannot start."""
        device = self.devices.get(key)
        if device is None or key in self.removed:
            self.fail(request_id, "removed", f"no fingerprint reader {key!r} is connected")
            return None
        if key in self.captures:
            self.fail(request_id, "busy", "a capture is already running on this reader")
            return None
        if not isinstance(timeout_ms, int) or not 100 <= timeout_ms <= MAX_TIMEOUT_MS:
            self.fail(request_id, "failed", f"timeout {timeout_ms!r} out of range")
            return None
        capture = self.captures[key] = Capture(
            request_id, key, self.Gio.Cancellable(), run=run, timeout_ms=timeout_ms
        )
        self.restart_timer(capture)
        if device.is_open():
            run(device, capture)
        else:
            device.open(capture.cancellable, self._opened, capture)
        return capture

    def restart_timer(self, capture: Capture) -> None:
        """The operation's timeout counts again from now (each touch of an enrolment gets its own)."""
        if capture.timer:
            self.GLib.source_remove(capture.timer)
        capture.timer = self.GLib.timeout_add(capture.timeout_ms, self._timed_out, capture)

    def _timed_out(self, capture: Capture) -> bool:
        capture.timer, capture.timed_out = 0, True
        capture.cancellable.cancel()
        return False

    def _opened(self, device: Any, result: Any, capture: Capture) -> None:
        try:
            device.open_finish(result)
        except self.GLib.Error as exc:
            return self._finish(device, capture, error=exc)
        capture.run(device, capture)

    def _capture(self, device: Any, capture: Capture) -> None:
        device.capture(True, capture.cancellable, self._captured, capture)

    def _captured(self, device: Any, result: Any, capture: Capture) -> None:
        try:
            image = device.capture_finish(result)
        except self.GLib.Error as exc:
            return self._finish(device, capture, error=exc)
        self._finish(device, capture, image=image)

    def end(self, device: Any, capture: Capture) -> None:
        """The operation is over: its timer and busy mark go; a reader pulled out meanwhile is closed."""
        if capture.timer:
            self.GLib.source_remove(capture.timer)
            capture.timer = 0
        self.captures.pop(capture.key, None)
        if capture.key in self.removed and device.is_open():
            device.close(None, lambda d, res: self._finish_close(d, res, None))

    def _finish(self, device: Any, capture: Capture, *, image: Any = None, error: Any = None) -> None:
        self.end(device, capture)
        if error is not None:
            self.fail(capture.request_id, self.error_kind(error, capture), str(error.message))
        else:
            pixels = bytes(image.get_data())
            self.answer(
                capture.request_id,
                pixels,
                width=int(image.get_width()),
                height=int(image.get_height()),
                ppmm=float(image.get_ppmm()),
                minutiae=len(image.get_minutiae() or []),
                seconds=round(time.monotonic() - capture.started, 3),
            )

    def error_kind(self, error: Any, capture: Capture) -> str:
        FPrint, Gio = self.FPrint, self.Gio
        if error.matches(FPrint.DeviceRetry.quark(), error.code):
            return RETRY_KINDS.get(error.code, "finger_retry")
        if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
            return "timeout" if capture.timed_out else "cancelled"
        if capture.key in self.removed:
            return "removed"
        if error.matches(FPrint.DeviceError.quark(), error.code):
            return {
                int(FPrint.DeviceError.REMOVED): "removed",
                int(FPrint.DeviceError.BUSY): "busy",
                int(FPrint.DeviceError.NOT_SUPPORTED): "no_image"
                if capture.run == self._capture
                else "no_verify",
                int(FPrint.DeviceError.TOO_HOT): "too_hot",
                int(FPrint.DeviceError.DATA_INVALID): "bad_template",
                int(FPrint.DeviceError.DATA_NOT_FOUND): "bad_template",
            }.get(error.code, "failed")
        return "failed"

    # -- closing and re-enumerating ---------------------------------------------------------------
    def _finish_close(self, device: Any, result: Any, then: Any) -> None:
        with contextlib.suppress(self.GLib.Error):  # a removed device refuses a proper close: gone anyway
            device.close_finish(result)
        if then is not None:
            then()

    def close_all(self, then: Any) -> None:
        """Close every open device (each close is asynchronous), then call ``then``."""
        opened = [d for d in self.devices.values() if d.is_open()]
        left = [len(opened)]

        def one_closed() -> None:
            left[0] -= 1
            if left[0] == 0:
                then()

        if not opened:
            return then()
        for capture in self.captures.values():
            capture.cancellable.cancel()
        for device in opened:
            device.close(None, lambda d, res: self._finish_close(d, res, one_closed))

    def rescan(self, request_id: int) -> None:
        """After a hot-plug event: a fresh context finds what is plugged now. While a capture runs the
        current context stays (libfprint's own hot-plug keeps it current meanwhile)."""
        if self.captures:
            return self.answer(request_id, devices=self.listing(), rescanned=False)

        def rebuild() -> None:
            self.new_context()
            self.answer(request_id, devices=self.listing(), rescanned=True)

        self.close_all(rebuild)


def _claim_stdout() -> BinaryIO:
    """The pipe to the kiosk, and stdout pointed at stderr so no stray print (C or Python) corrupts it."""
    fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(fd, "wb", buffering=0)


def _read_requests(host: Host, stdin: BinaryIO) -> None:
    """Reader thread: each request goes to the loop; the pipe's end (the kiosk left) stops the loop."""
    try:
        while True:
            header, payload = read_frame(stdin)
            host.GLib.idle_add(host.dispatch, header, payload)
    except (WireClosed, WireError, OSError):
        pass
    host.GLib.idle_add(lambda: host.close_all(host.loop.quit) or False)


def main() -> int:
    writer = Writer(_claim_stdout())
    try:
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint, Gio, GLib
    except (ImportError, ValueError) as exc:
        writer.send({"event": "hello", "available": False, "reason": f"{type(exc).__name__}: {exc}"[:300]})
        return 0
    host = Host(writer, FPrint, Gio, GLib)
    host.new_context()
    writer.send({"event": "hello", "available": True, "protocol": PROTOCOL, "pid": os.getpid()})
    threading.Thread(target=_read_requests, args=(host, sys.stdin.buffer), daemon=True).start()
    host.loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

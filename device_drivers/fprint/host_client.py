"""The kiosk's side of the libfprint host process (device_drivers/fprint/host.py): start it, ask it,
hear its events, and stop it.

Thread rules: :meth:`FprintHost.request` blocks until the host answers; call it on a device thread (the
``DeviceManager``'s discovery or device threads), never the UI thread. Answers and events are read on
this object's own reader thread (``fprint-host-reader``); event callbacks run there and must be quick.
Requests may come from several threads at once: each waits for the answer with its own id. When the
host dies, every waiting request fails with DeviceDisconnectedError and the next request starts a new
host.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from device_drivers.base import DeviceDisconnectedError, DeviceTimeoutError, DeviceUnavailableError
from device_drivers.finger_match import CannotMatchError
from device_drivers.fprint.wire import MAX_PAYLOAD, WireClosed, WireError, encode_frame, read_frame
from device_drivers.host_process import spawn_host

log = logging.getLogger(__name__)
HOST_MODULE = "device_drivers.fprint.host"
START_TIMEOUT_S = 20.0  # importing GI and probing the USB bus, on a slow kiosk


class FprintHost:
    """One libfprint host process. ``env`` adds variables for it (e.g. ``FP_VIRTUAL_IMAGE`` for a
    virtual reader); the kiosk's own environment is never changed."""

    def __init__(self, *, env: Mapping[str, str] | None = None, python: str | None = None) -> None:
        self.env, self.python = dict(env or {}), python or sys.executable
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._hello: Future[dict] | None = None
        self._pending: dict[int, Future[tuple[dict, bytes]]] = {}
        self._next_id = 0
        self._subscribers: list[Callable[[dict], None]] = []
        self.unavailable_reason: str | None = None

    def subscribe(self, callback: Callable[[dict], None]) -> None:
        """``callback(event)`` for each host event ("added", "removed", "finger_needed"), reader thread."""
        self._subscribers.append(callback)

    # -- the process --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the host unless it runs; DeviceUnavailableError when libfprint cannot run here."""
        with self._lock:
            if self.unavailable_reason is not None:
                raise DeviceUnavailableError(self.unavailable_reason)
            if self._process is not None and self._process.poll() is None:
                hello = self._hello
            else:
                hello = self._spawn()
        try:
            answer = hello.result(START_TIMEOUT_S)  # type: ignore[union-attr]
        except FutureTimeout:
            self.stop()
            raise DeviceTimeoutError("The fingerprint reader service did not start in time.") from None
        except DeviceDisconnectedError as exc:
            raise DeviceUnavailableError(f"libfprint is not available on this system ({exc})") from None
        if not answer.get("available"):
            self.unavailable_reason = (
                f"libfprint is not available on this system ({answer.get('reason', 'no reason given')})"
            )
            self.stop()
            raise DeviceUnavailableError(self.unavailable_reason)

    def _spawn(self) -> Future[dict]:
        try:
            process = spawn_host(self.python, HOST_MODULE, env=self.env, name="fprint-host-log")
        except OSError as exc:
            self.unavailable_reason = f"libfprint is not available on this system ({exc})"
            raise DeviceUnavailableError(self.unavailable_reason) from None
        self._process, self._hello = process, Future()
        threading.Thread(
            target=self._read, args=(process, self._hello), name="fprint-host-reader", daemon=True
        ).start()
        return self._hello

    def _read(self, process: subprocess.Popen, hello: Future[dict]) -> None:
        error = "the fingerprint reader service stopped"
        try:
            while True:
                header, payload = read_frame(process.stdout)  # type: ignore[arg-type]
                self._route(header, payload, hello)
        except WireClosed:
            pass
        except (WireError, OSError) as exc:
            error = f"the fingerprint reader service sent a bad answer ({exc})"
            with contextlib.suppress(OSError):
                process.kill()
        gone = DeviceDisconnectedError(f"The fingerprint reader stopped answering: {error}.")
        if not hello.done():
            hello.set_exception(gone)
        with self._lock:
            pending, self._pending = self._pending, {}
            if self._process is process:
                self._process = None
        for future in pending.values():
            if not future.done():
                future.set_exception(gone)

    def _route(self, header: dict, payload: bytes, hello: Future[dict]) -> None:
        if header.get("event") == "hello":
            if not hello.done():
                hello.set_result(header)
            return
        if "event" in header:
            for callback in list(self._subscribers):
                try:
                    callback(header)
                except Exception:
                    log.exception("fprint event subscriber failed on %s", header.get("event"))
            return
        with self._lock:
            future = self._pending.pop(header.get("id"), None)  # type: ignore[arg-type]
        if future is not None and not future.done():
            future.set_result((header, payload))

    # -- requests -----------------------------------------------------------------------------------
    def request(
        self, op: str, *, timeout_s: float, payload: bytes = b"", **fields: object
    ) -> tuple[dict, bytes]:
        """Send one request (``payload``: serialized prints to match) and wait for its answer (blocking;
        device threads only)."""
        self.start()
        future: Future[tuple[dict, bytes]] = Future()
        if len(payload) > MAX_PAYLOAD:
            raise CannotMatchError(f"{len(payload)} bytes of prints are more than the reader service takes")
        with self._lock:
            process = self._process
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = future
        if process is None:
            raise DeviceDisconnectedError("The fingerprint reader service stopped; try again.")
        try:
            with self._write_lock:
                frame = encode_frame({"id": request_id, "op": op, **fields}, payload)
                process.stdin.write(frame)  # type: ignore[union-attr]
                process.stdin.flush()  # type: ignore[union-attr]
        except (OSError, ValueError) as exc:
            with self._lock:
                self._pending.pop(request_id, None)
            raise DeviceDisconnectedError(
                f"The fingerprint reader service stopped ({exc}); try again."
            ) from None
        try:
            return future.result(timeout_s)
        except FutureTimeout:
            with self._lock:
                self._pending.pop(request_id, None)
            log.warning("libfprint host gave no answer to %s in %.0f s: stopping it", op, timeout_s)
            with contextlib.suppress(OSError):
                process.kill()  # wedged (its own timers answer first): the next request starts a new one
            raise DeviceTimeoutError("The fingerprint reader service did not answer in time.") from None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def stop(self, *, timeout_s: float = 3.0) -> None:
        """Ask the host to close its readers and leave; kill it if it does not."""
        with self._lock:
            process = self._process
        if process is None:
            return
        if process.poll() is None and self.unavailable_reason is None:
            with contextlib.suppress(Exception):
                self.request("quit", timeout_s=timeout_s)
        with contextlib.suppress(OSError):
            process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout_s)
        with self._lock:
            if self._process is process:
                self._process = None

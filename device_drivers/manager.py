"""Device manager: enumerate every adapter, report plugged / unplugged / status changes, hand out devices.

Ask ``manager.device(Modality.FINGER)`` each time a device is needed rather than keeping a handle: the
answer reflects the latest discovery. Every device call goes through ``ManagedDevice``, which runs it
on that device's own thread and returns a Future; callbacks (events, preview frames) are called on
device/discovery threads, so a UI must hop back to its own thread (client.ui's operation helper does).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from device_drivers.base import (
    DeviceIdentity,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceStatus,
    DeviceUnavailableError,
    Modality,
    PreviewFrame,
)
from device_drivers.device_thread import DeviceThread

if TYPE_CHECKING:
    from device_drivers.allow_list import AllowList
    from device_drivers.hotplug import HotplugMonitor


class DeviceSource(Protocol):
    """One adapter family. ``discover`` blocks (device I/O) and returns (info, device object or None)."""

    name: str

    def discover(self) -> list[tuple[DeviceInfo, object | None]]: ...


@dataclass(frozen=True)
class DeviceEvent:
    kind: str  # "plugged" | "unplugged" | "status"
    info: DeviceInfo
    previous_status: DeviceStatus | None = None


class DriverListSource:
    """Fixed drivers (cameras, the barcode reader). A driver that cannot run here (DeviceUnavailableError)
    is left out; a configured one that does not answer is listed NOT_READY with the reason in ``detail``,
    so using it explains what is wrong instead of saying nothing is there."""

    def __init__(self, name: str, drivers: list[object]) -> None:
        self.name, self.drivers = name, drivers
        # Set by the DeviceManager: runs a driver's ``info()`` on that device's own thread (by its key).
        self.run_on_device: Callable[[str, Callable[[], DeviceInfo]], DeviceInfo] | None = None

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        found: list[tuple[DeviceInfo, object | None]] = []
        for driver in self.drivers:
            key, run = getattr(driver, "key", None), self.run_on_device
            try:
                info = run(key, driver.info) if run and key else driver.info()  # type: ignore[attr-defined]
                found.append((info, driver))
            except DeviceUnavailableError:
                continue
            except Exception as exc:
                modality = getattr(driver, "modality", None)
                if key is None or modality is None:
                    continue
                identity = getattr(driver, "identity", None) or DeviceIdentity("", "", str(key))
                found.append(
                    (DeviceInfo(key, modality, identity, DeviceStatus.NOT_READY, detail=str(exc)), driver)
                )
        return found


class PreviewHandle:
    """A running preview: ``stop()`` ends it at the next frame; ``future`` gives the frame count (or the
    stream's error) once it ended."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.future: Future[int] = Future()

    def stop(self) -> None:
        self.stopped.set()


class ManagedDevice:
    """A device plus its threads. Every method returns a Future (or a handle); nothing blocks the caller.

    Calls (info, capture, decode, scan) run one at a time on ``thread``; the live preview runs on
    ``preview_thread`` (the same thread when none is given), so the picture keeps moving while a capture
    waits for a finger. The adapters allow that: the camera serialises frame reads with a lock, and an
    SBI device streams over its own connection."""

    def __init__(
        self,
        info: DeviceInfo,
        device: object,
        thread: DeviceThread,
        preview_thread: DeviceThread | None = None,
    ) -> None:
        self.info_at_discovery, self.device, self.thread = info, device, thread
        self.preview_thread = preview_thread or thread

    @property
    def key(self) -> str:
        return self.info_at_discovery.key

    def info(self) -> Future[DeviceInfo]:
        return self.thread.submit(self.device.info)  # type: ignore[attr-defined]

    def capture(self, **kwargs: object) -> Future[list]:
        return self.thread.submit(self.device.capture, **kwargs)  # type: ignore[attr-defined]

    def capture_document(self, frame_image: object | None = None) -> Future:
        """A document shot; from ``frame_image`` (a preview frame the officer saw) when the camera can."""
        from_frame = getattr(self.device, "document_from_frame", None)
        if frame_image is not None and from_frame is not None:
            return self.thread.submit(from_frame, frame_image)
        return self.thread.submit(self.device.capture_document)  # type: ignore[attr-defined]

    def decode(self, image: object) -> Future[list]:
        return self.thread.submit(self.device.decode, image)  # type: ignore[attr-defined]

    def scan(self, frames: Iterable[object], **kwargs: object) -> Future:
        """A barcode reader's ``scan`` over ``frames`` (e.g. another device's preview) on this thread."""
        return self.thread.submit(self.device.scan, frames, **kwargs)  # type: ignore[attr-defined]

    def start_preview(self, on_frame: Callable[[PreviewFrame], None], **kwargs: object) -> PreviewHandle:
        """Stream on the preview thread, calling ``on_frame`` (there) per frame until ``handle.stop()``.

        The stream advances one frame per task, so even on a shared thread a call submitted meanwhile (a
        capture) runs between two frames instead of waiting for the preview to end."""
        handle = PreviewHandle()
        state: dict[str, Any] = {"frames": None, "count": 0}

        def finish(error: BaseException | None = None) -> None:
            close = getattr(state["frames"], "close", None)
            try:
                if close:
                    close()  # ends the device's stream (e.g. the SBI HTTP response) right away
            finally:
                if error is None:
                    handle.future.set_result(state["count"])
                else:
                    handle.future.set_exception(error)

        def step() -> None:
            try:
                if state["frames"] is None:
                    state["frames"] = iter(self.device.stream(**kwargs))  # type: ignore[attr-defined]
                if handle.stopped.is_set() or self.preview_thread.closed:
                    return finish()
                frame = next(state["frames"])
                on_frame(frame)
                state["count"] += 1
            except StopIteration:
                return finish()
            except Exception as exc:
                return finish(exc)
            try:
                self.preview_thread.submit(step)
            except RuntimeError:  # the thread was closed meanwhile
                finish()

        self.preview_thread.submit(step)
        return handle


class DeviceManager:
    """Owns the sources, the latest discovery, per-device threads and change subscribers."""

    def __init__(
        self,
        sources: dict[str, Callable[[], DeviceSource]],
        *,
        hotplug: HotplugMonitor | None = None,
        allow_list: AllowList | None = None,
    ) -> None:
        # hotplug: started on the first refresh; each USB plug/unplug runs a discovery (device bar
        # within 2 s). allow_list: master data's device_models, replaced by the core when they change.
        self.hotplug, self.allow_list = hotplug, allow_list
        self._refresh_queued = False
        self.unavailable: dict[str, str] = {}
        self._sources: list[DeviceSource] = []
        for name, factory in sources.items():
            try:
                source = factory()
            except DeviceUnavailableError as exc:
                self.unavailable[name] = str(exc)  # that driver is off; the others keep working
                continue
            if isinstance(source, DriverListSource):  # a fixed driver's status check is device I/O too
                source.run_on_device = lambda key, fn: self._threads_for(key)[0].call(fn, timeout=30)
            self._sources.append(source)
        self._known: dict[str, tuple[DeviceInfo, object | None]] = {}
        self._threads: dict[str, tuple[DeviceThread, DeviceThread]] = {}  # key -> (calls, preview)
        self._subscribers: list[Callable[[DeviceEvent], None]] = []
        self._lock = threading.Lock()
        self._discovery = DeviceThread("discovery")
        self._polling = threading.Event()

    def subscribe(self, callback: Callable[[DeviceEvent], None]) -> None:
        self._subscribers.append(callback)

    def refresh(self) -> list[DeviceEvent]:
        """Run discovery on the discovery thread, wait, publish and return the changes."""
        if self.hotplug is not None and self.hotplug.mode == "stopped":
            self.hotplug.subscribe(lambda _change: self._refresh_soon())
            self.hotplug.start()
        return self._discovery.call(self._refresh)

    def _refresh_soon(self) -> None:
        """A USB change (hot-plug thread): one discovery queued, however many changes arrive meanwhile."""
        with self._lock:
            if self._refresh_queued or self._discovery.closed:
                return
            self._refresh_queued = True

        def run() -> None:
            with self._lock:
                self._refresh_queued = False
            self._refresh()

        with contextlib.suppress(RuntimeError):  # closed meanwhile
            self._discovery.submit(run)

    def device_by_key(self, key: str) -> ManagedDevice:
        """The device with ``key`` from the latest discovery (a chosen scanner, say); DeviceNotFoundError
        when it is gone or may not be used (not allowed)."""
        with self._lock:
            info, device = self._known.get(key, (None, None))
        if info is None or device is None:
            raise DeviceNotFoundError(f"The device {key} is not connected.")
        return ManagedDevice(info, device, *self._threads_for(key))

    def _refresh(self) -> list[DeviceEvent]:
        current: dict[str, tuple[DeviceInfo, object | None]] = {}
        for source in self._sources:
            try:
                for info, device in source.discover():
                    current[info.key] = (info, device)
            except DeviceUnavailableError as exc:
                self.unavailable[source.name] = str(exc)
        events = []
        with self._lock:
            for key, (info, _) in current.items():
                old = self._known.get(key)
                if old is None:
                    events.append(DeviceEvent("plugged", info))
                elif old[0].status != info.status:
                    events.append(DeviceEvent("status", info, old[0].status))
            for key, (info, _) in self._known.items():
                if key not in current:
                    gone = DeviceInfo(
                        info.key, info.modality, info.identity, DeviceStatus.UNPLUGGED, info.sub_ids
                    )
                    events.append(DeviceEvent("unplugged", gone, info.status))
            self._known = current
        for event in events:
            for callback in list(self._subscribers):
                callback(event)
        return events

    def devices(self) -> list[DeviceInfo]:
        with self._lock:
            return [info for info, _ in self._known.values()]

    def current(self, modality: Modality) -> DeviceInfo | None:
        """What :meth:`device` would hand out for ``modality`` now (latest discovery; never blocks)."""
        best = self._best(modality)
        return best[0] if best else None

    def _best(self, modality: Modality) -> tuple[DeviceInfo, object] | None:
        with self._lock:
            candidates = [(i, d) for i, d in self._known.values() if i.modality == modality and d is not None]
        if not candidates:
            return None
        return min(
            candidates, key=lambda c: (c[0].status != DeviceStatus.READY, not c[0].key.startswith("sbi:"))
        )

    def device(self, modality: Modality) -> ManagedDevice:
        """The best current device for a modality: ready first, SBI-certified before plain cameras."""
        best = self._best(modality)
        if best is None:
            reasons = "; ".join(f"{n}: {r}" for n, r in self.unavailable.items())
            raise DeviceNotFoundError(
                f"No {modality.value} device is connected." + (f" ({reasons})" if reasons else "")
            )
        info, device = best
        return ManagedDevice(info, device, *self._threads_for(info.key))

    def _threads_for(self, key: str) -> tuple[DeviceThread, DeviceThread]:
        """The device's (calls, preview) threads, made on first use and kept until :meth:`close`."""
        with self._lock:
            threads = self._threads.get(key)
            if threads is None:
                threads = self._threads[key] = (DeviceThread(key), DeviceThread(f"{key}-preview"))
            return threads

    def start_polling(self, interval_s: float = 2.0) -> None:
        """Poll discovery in the background (notices plug/unplug and status changes)."""
        self._polling.clear()

        def loop() -> None:
            while not self._polling.wait(interval_s):
                try:
                    self.refresh()
                except Exception:
                    continue

        threading.Thread(target=loop, name="device-polling", daemon=True).start()

    def close(self) -> None:
        """Stop polling, previews and every device thread; each device's own ``close`` (a webcam lets go)
        runs last on its thread, after the call in progress."""
        self._polling.set()
        if self.hotplug is not None:
            self.hotplug.stop()
        self._discovery.close()
        with self._lock:
            threads, known = dict(self._threads), dict(self._known)
        for key, (calls, preview) in threads.items():
            preview.close(drain=True)  # the stream ends at its next frame and closes its connection
            calls.close(then=getattr(known.get(key, (None, None))[1], "close", None))
        for source in self._sources:  # a library a source holds (libsane) lets go after its devices
            close = getattr(source, "close", None)
            if close is not None:
                close()

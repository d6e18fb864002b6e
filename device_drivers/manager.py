"""Device manager: enumerate every adapter, report plugged / unplugged / status changes, hand out devices.

Ask ``manager.device(Modality.FINGER)`` each time a device is needed rather than keeping a handle: the
answer reflects the latest discovery. Every device call goes through ``ManagedDevice``, which runs it
on that device's own thread and returns a Future; callbacks (events, preview frames) are called on
device/discovery threads, so a UI must hop back to its own thread (client.ui's operation helper does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from device_drivers.base import (
    DeviceInfo,
    DeviceNotFoundError,
    DeviceStatus,
    DeviceUnavailableError,
    Modality,
    PreviewFrame,
)
from device_drivers.device_thread import DeviceThread


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
    """Fixed drivers (cameras, the barcode reader): present while ``info()`` answers."""

    def __init__(self, name: str, drivers: list[object]) -> None:
        self.name, self.drivers = name, drivers

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        found = []
        for driver in self.drivers:
            try:
                found.append((driver.info(), driver))
            except Exception:
                continue
        return found


class PreviewHandle:
    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.future: Future[int] | None = None

    def stop(self) -> None:
        self.stopped.set()


class ManagedDevice:
    """A device plus its thread. Every method returns a Future; nothing blocks the caller."""

    def __init__(self, info: DeviceInfo, device: object, thread: DeviceThread) -> None:
        self.info_at_discovery, self.device, self.thread = info, device, thread

    @property
    def key(self) -> str:
        return self.info_at_discovery.key

    def info(self) -> Future[DeviceInfo]:
        return self.thread.submit(self.device.info)

    def capture(self, **kwargs: object) -> Future[list]:
        return self.thread.submit(self.device.capture, **kwargs)

    def capture_document(self) -> Future:
        return self.thread.submit(self.device.capture_document)

    def decode(self, image: object) -> Future[list]:
        return self.thread.submit(self.device.decode, image)

    def start_preview(self, on_frame: Callable[[PreviewFrame], None], **kwargs: object) -> PreviewHandle:
        """Stream on the device thread, calling ``on_frame`` per frame until ``handle.stop()``."""
        handle = PreviewHandle()

        def run() -> int:
            count = 0
            frames = self.device.stream(**kwargs)
            try:
                for frame in frames:
                    if handle.stopped.is_set():
                        break
                    on_frame(frame)
                    count += 1
            finally:
                close = getattr(frames, "close", None)
                if close:
                    close()
            return count

        handle.future = self.thread.submit(run)
        return handle


class DeviceManager:
    """Owns the sources, the latest discovery, per-device threads and change subscribers."""

    def __init__(self, sources: dict[str, Callable[[], DeviceSource]]) -> None:
        self.unavailable: dict[str, str] = {}
        self._sources: list[DeviceSource] = []
        for name, factory in sources.items():
            try:
                self._sources.append(factory())
            except DeviceUnavailableError as exc:
                self.unavailable[name] = str(exc)  # that driver is off; the others keep working
        self._known: dict[str, tuple[DeviceInfo, object | None]] = {}
        self._threads: dict[str, DeviceThread] = {}
        self._subscribers: list[Callable[[DeviceEvent], None]] = []
        self._lock = threading.Lock()
        self._discovery = DeviceThread("discovery")
        self._polling = threading.Event()

    def subscribe(self, callback: Callable[[DeviceEvent], None]) -> None:
        self._subscribers.append(callback)

    def refresh(self) -> list[DeviceEvent]:
        """Run discovery on the discovery thread, wait, publish and return the changes."""
        return self._discovery.call(self._refresh)

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

    def device(self, modality: Modality) -> ManagedDevice:
        """The best current device for a modality: ready first, SBI-certified before plain cameras."""
        with self._lock:
            candidates = [(i, d) for i, d in self._known.values() if i.modality == modality and d is not None]
        if not candidates:
            reasons = "; ".join(f"{n}: {r}" for n, r in self.unavailable.items())
            raise DeviceNotFoundError(
                f"No {modality.value} device is connected." + (f" ({reasons})" if reasons else "")
            )
        info, device = min(
            candidates, key=lambda c: (c[0].status != DeviceStatus.READY, not c[0].key.startswith("sbi:"))
        )
        with self._lock:
            thread = self._threads.setdefault(info.key, DeviceThread(info.key))
        return ManagedDevice(info, device, thread)

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
        self._polling.set()
        self._discovery.close()
        for thread in self._threads.values():
            thread.close()

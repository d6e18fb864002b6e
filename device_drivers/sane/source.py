"""SANE scanners as a DeviceManager source: listed, matched against master data, kept across refreshes.

A scanner master data allows (``device_models``: by USB ids when its SANE name reveals them, else by a
``sane_device`` pattern; see device_drivers.allow_list) is offered as a :class:`SaneScanner`; any other
is listed with status "not allowed" and no device object, so the manager never hands it out but the
admin sees it. The hot-plug monitor tells the source when USB changes: libsane is restarted before the
next listing (some backends probe USB only at init), and a scanner whose USB device left has its scan
in progress cancelled at once (``SaneScanner.unplugged``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from device_drivers.allow_list import AllowList
from device_drivers.base import DeviceIdentity, DeviceInfo, DeviceStatus, Modality
from device_drivers.hotplug import HotplugMonitor, UsbChange, UsbDevice
from device_drivers.sane.adapter import SaneScanner
from device_drivers.sane.backend import SaneBackend, SaneDeviceEntry
from device_drivers.sane.remote import SaneHostBackend, release_backend
from device_drivers.sane.settings import ScanSettings

BUSY_WAIT_S = 1.5  # how long a discovery waits for a scan to end before answering from the last listing
_LIBUSB_PLACE = re.compile(r"libusb:(\d{1,3}):(\d{1,3})")  # sanei_usb names: "genesys:libusb:001:005"
_PIXMA_IDS = re.compile(r"^pixma:([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})")  # "pixma:04A91912_..."


def usb_place(name: str) -> tuple[int, int] | None:
    """(bus, address) in a SANE device name, when the backend put it there."""
    match = _LIBUSB_PLACE.search(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def usb_ids(name: str, plugged: list[UsbDevice]) -> tuple[int, int] | None:
    """A SANE scanner's USB (vendor, product): from its name, or its bus place among ``plugged``."""
    if match := _PIXMA_IDS.match(name):
        return int(match.group(1), 16), int(match.group(2), 16)
    place = usb_place(name)
    device = next((d for d in plugged if place == (d.bus, d.address)), None) if place else None
    return (device.vendor_id, device.product_id) if device else None


class SaneSource:
    """``discover()`` lists SANE scanners (blocking on the SANE thread; while a scan runs it answers
    from the last listing instead of waiting behind it)."""

    name = "sane"

    def __init__(
        self,
        backend: SaneBackend | SaneHostBackend,
        allow_list: AllowList,
        *,
        hotplug: HotplugMonitor | None = None,
        settings: Callable[[], ScanSettings] = ScanSettings,
    ) -> None:
        self.backend, self.allow_list, self.hotplug = backend, allow_list, hotplug
        self._settings = settings
        self._scanners: dict[str, SaneScanner] = {}
        self._last: list[tuple[DeviceInfo, object | None]] | None = None
        self._usb_changed = threading.Event()
        self._lock = threading.Lock()
        backend.available()  # DeviceUnavailableError here switches this driver off, nothing else
        if hotplug is not None:
            hotplug.subscribe(self._on_usb_change)

    def _wait_idle(self, seconds: float) -> bool:
        """Wait a little for the SANE thread (a scan cancelled by an unplug ends within it)."""
        deadline = time.monotonic() + seconds
        while self.backend.busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _on_usb_change(self, change: UsbChange) -> None:
        """Monitor thread: note the change; a scanner that left stops its scan now."""
        self._usb_changed.set()
        if change.action != "remove":
            return
        gone = change.device
        with self._lock:
            scanners = list(self._scanners.values())
        for scanner in scanners:
            name = scanner.entry.name
            pixma = _PIXMA_IDS.match(name)
            if usb_place(name) == (gone.bus, gone.address) or (
                pixma
                and (int(pixma.group(1), 16), int(pixma.group(2), 16)) == (gone.vendor_id, gone.product_id)
            ):
                scanner.unplugged()

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        if self._last is not None and not self._wait_idle(BUSY_WAIT_S):
            return list(self._last)  # a scan is running: the listing would wait behind it
        reinit = self._usb_changed.is_set()
        self._usb_changed.clear()
        entries = self.backend.list_devices(reinit=reinit)
        plugged = self.hotplug.devices() if self.hotplug is not None else []
        found: list[tuple[DeviceInfo, object | None]] = []
        with self._lock:
            known, self._scanners = self._scanners, {}
        for entry in entries:
            ids = usb_ids(entry.name, plugged)
            model = self.allow_list.scanner(entry.name, ids)
            if model is None:
                found.append((self._not_allowed(entry, ids), None))
                continue
            scanner = known.pop(entry.name, None)
            if scanner is None or scanner.model_id != model.id:
                scanner = self.backend.scanner(entry, settings=self._settings, model_id=model.id)
            with self._lock:
                self._scanners[entry.name] = scanner
            detail = f"{ids[0]:04x}:{ids[1]:04x}" if ids else entry.kind
            found.append(
                (
                    DeviceInfo(
                        scanner.key, Modality.DOCUMENT, scanner.identity, DeviceStatus.READY, detail=detail
                    ),
                    scanner,
                )
            )
        for scanner in known.values():  # listed last time, gone now
            scanner.unplugged()
            scanner.close()
        self._last = found
        return list(found)

    @staticmethod
    def _not_allowed(entry: SaneDeviceEntry, ids: tuple[int, int] | None) -> DeviceInfo:
        identity = DeviceIdentity(make=entry.vendor, model=entry.model, serial=entry.name)
        where = f"USB {ids[0]:04x}:{ids[1]:04x}" if ids else f"SANE {entry.name}"
        return DeviceInfo(
            f"sane:{entry.name}",
            Modality.DOCUMENT,
            identity,
            DeviceStatus.NOT_ALLOWED,
            detail=f"{where} is not in master data (device_models)",
        )

    def close(self) -> None:
        release_backend(self.backend)

"""USB hot-plug: one monitor per kiosk telling subscribers when a USB device arrives or leaves.

Subscribe API (for any driver that must re-enumerate, e.g. SANE scanners or libfprint readers)::

    unsubscribe = monitor.subscribe(lambda change: ...)   # change: UsbChange(action, device)
    monitor.devices()                                      # the USB devices plugged in now

Two ways to notice, picked by :meth:`HotplugMonitor.start`: udev's netlink monitor (pyudev, Linux,
instant) where it can start, else polling (sysfs on Linux, pyusb/libusb elsewhere) every
``poll_interval_s``. Callbacks run on the monitor's own thread (``usb-hotplug``); they must be quick
and never call a device (hand the work to a device thread). A callback that raises is logged and the
others still run. Without pyudev and pyusb the monitor reports mode "off" and never calls anyone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SYSFS_USB = Path("/sys/bus/usb/devices")
MAX_USB_DEVICES = 256
# Interface classes that are never a capture device: HID (keyboards, mice, wedge barcode scanners),
# mass storage (the USB stick packets travel on), hubs, audio, wireless controllers.
PASSIVE_CLASSES = frozenset({0x01, 0x03, 0x08, 0x09, 0xE0})
LINUX_FOUNDATION = 0x1D6B  # root hubs


@dataclass(frozen=True)
class UsbDevice:
    """A USB device as the monitor sees it (ids, place on the bus, classes, names)."""

    bus: int
    address: int
    vendor_id: int
    product_id: int
    device_class: int = 0
    interface_classes: tuple[int, ...] = ()
    manufacturer: str = ""
    product: str = ""

    @property
    def ids(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def passive(self) -> bool:
        """A hub, keyboard, mouse, stick... : not a device an allow-list is about."""
        if self.vendor_id == LINUX_FOUNDATION or self.device_class == 0x09:
            return True
        classes = set(self.interface_classes) or {self.device_class}
        return bool(classes) and classes <= PASSIVE_CLASSES


@dataclass(frozen=True)
class UsbChange:
    action: str  # "add" | "remove"
    device: UsbDevice


# -- enumerating ------------------------------------------------------------------------------------
def _read(path: Path, limit: int = 256) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


class SysfsUsbEnumerator:
    """USB devices from Linux sysfs (``/sys/bus/usb/devices``): no permissions needed, no device I/O."""

    def __init__(self, root: Path = SYSFS_USB) -> None:
        self.root = root

    def available(self) -> bool:
        return self.root.is_dir()

    def __call__(self) -> list[UsbDevice]:
        try:
            entries = sorted(p.name for p in self.root.iterdir())
        except OSError:
            return []
        found = []
        for name in entries:
            if ":" in name or len(found) >= MAX_USB_DEVICES:
                continue  # interfaces ("1-2:1.0") are read with their device
            place = self.root / name
            vendor, product = _hex(_read(place / "idVendor")), _hex(_read(place / "idProduct"))
            bus, address = _read(place / "busnum"), _read(place / "devnum")
            if vendor is None or product is None or not bus.isdigit() or not address.isdigit():
                continue
            interfaces = tuple(
                c
                for i in entries
                if i.startswith(f"{name}:")
                and (c := _hex(_read(self.root / i / "bInterfaceClass"))) is not None
            )
            found.append(
                UsbDevice(
                    bus=int(bus),
                    address=int(address),
                    vendor_id=vendor,
                    product_id=product,
                    device_class=_hex(_read(place / "bDeviceClass")) or 0,
                    interface_classes=interfaces,
                    manufacturer=_read(place / "manufacturer")[:100],
                    product=_read(place / "product")[:100],
                )
            )
        return found


def pyusb_enumerator() -> Callable[[], list[UsbDevice]]:
    """USB devices through pyusb and the libusb-package wheel (Windows, macOS; Linux without sysfs)."""
    from device_drivers.usb_discovery import libusb_package_backend

    backend = libusb_package_backend()  # DeviceUnavailableError where pyusb/libusb is missing

    def enumerate_usb() -> list[UsbDevice]:
        import usb.core

        found = []
        for device in usb.core.find(find_all=True, backend=backend):
            if len(found) >= MAX_USB_DEVICES:
                break
            try:
                classes = tuple(i.bInterfaceClass for i in device.get_active_configuration())
            except Exception:
                classes = ()  # no permission to read the configuration: the ids still count
            found.append(
                UsbDevice(
                    int(device.bus or 0),
                    int(device.address or 0),
                    device.idVendor,
                    device.idProduct,
                    device.bDeviceClass,
                    classes,
                )
            )
        return found

    return enumerate_usb


def device_from_udev(device: Any) -> UsbDevice | None:
    """A pyudev ``Device`` of subsystem usb / devtype usb_device as a UsbDevice (None for the rest:
    interfaces, other subsystems, events without ids)."""
    if device.subsystem != "usb" or device.device_type != "usb_device":
        return None
    props = device.properties
    vendor, product = _hex(props.get("ID_VENDOR_ID", "")), _hex(props.get("ID_MODEL_ID", ""))
    if vendor is None or product is None:  # PRODUCT is "vendor/product/bcdDevice" in hex, always set
        parts = props.get("PRODUCT", "").split("/")
        vendor, product = (_hex(parts[0]), _hex(parts[1])) if len(parts) >= 2 else (None, None)
    bus, address = props.get("BUSNUM", ""), props.get("DEVNUM", "")
    if vendor is None or product is None or not bus.isdigit() or not address.isdigit():
        return None
    interfaces = props.get("ID_USB_INTERFACES", "")  # ":030101:080650:" -> class, subclass, protocol
    classes = tuple(
        c for part in interfaces.split(":") if len(part) == 6 and (c := _hex(part[:2])) is not None
    )
    return UsbDevice(
        int(bus),
        int(address),
        vendor,
        product,
        int(kind) if (kind := props.get("TYPE", "0/0/0").split("/")[0]).isdigit() else 0,  # decimal
        classes,
        props.get("ID_VENDOR_FROM_DATABASE", props.get("ID_VENDOR", ""))[:100],
        props.get("ID_MODEL_FROM_DATABASE", props.get("ID_MODEL", ""))[:100],
    )


# -- the monitor ------------------------------------------------------------------------------------
class HotplugMonitor:
    """Watches USB and tells subscribers. ``mode`` is "udev", "polling" or "off" once started."""

    def __init__(
        self,
        *,
        use_udev: bool = True,
        poll_interval_s: float = 0.5,
        enumerator: Callable[[], list[UsbDevice]] | None = None,
    ) -> None:
        self.use_udev, self.poll_interval_s = use_udev, poll_interval_s
        self._enumerator = enumerator
        self._subscribers: list[Callable[[UsbChange], None]] = []
        self._devices: dict[tuple[int, int], UsbDevice] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._observer: Any = None
        self.mode = "stopped"
        self.reason = ""

    def subscribe(self, callback: Callable[[UsbChange], None]) -> Callable[[], None]:
        """Call ``callback(change)`` on each plug and unplug; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def devices(self) -> list[UsbDevice]:
        with self._lock:
            return list(self._devices.values())

    def start(self) -> str:
        """Start watching (udev when it can, else polling); returns the mode. Idempotent."""
        if self.mode != "stopped":
            return self.mode
        self._stop.clear()
        if self._enumerator is None and self.use_udev and self._start_udev():
            self.mode = "udev"
            return self.mode
        enumerate_usb = self._enumerator or self._default_enumerator()
        if enumerate_usb is None:
            self.mode = "off"
            return self.mode
        self._set_devices(enumerate_usb())
        threading.Thread(target=self._poll, args=(enumerate_usb,), name="usb-hotplug", daemon=True).start()
        self.mode = "polling"
        return self.mode

    def _default_enumerator(self) -> Callable[[], list[UsbDevice]] | None:
        sysfs = SysfsUsbEnumerator()
        if sysfs.available():
            return sysfs
        try:
            return pyusb_enumerator()
        except Exception as exc:
            self.reason = f"no USB hot-plug: {exc}"
            return None

    def _start_udev(self) -> bool:
        try:
            import pyudev

            context = pyudev.Context()
            monitor = pyudev.Monitor.from_netlink(context)
            monitor.filter_by(subsystem="usb", device_type="usb_device")
            present = context.list_devices(subsystem="usb", DEVTYPE="usb_device")
            self._set_devices([d for d in map(device_from_udev, present) if d is not None])
            self._observer = pyudev.MonitorObserver(monitor, callback=self._on_udev, name="usb-hotplug")
            self._observer.start()
            return True
        except Exception as exc:  # no pyudev, no libudev, no netlink (a container): poll instead
            self.reason = f"udev monitor not available ({exc}); polling"
            return False

    def _on_udev(self, device: Any) -> None:
        usb = device_from_udev(device)
        if usb is not None and device.action in ("add", "remove"):
            self._apply([UsbChange(device.action, usb)])

    def _poll(self, enumerate_usb: Callable[[], list[UsbDevice]]) -> None:
        while not self._stop.wait(self.poll_interval_s):
            try:
                now = {(d.bus, d.address): d for d in enumerate_usb()}
            except Exception as exc:
                log.warning("USB enumeration failed: %s", exc)
                continue
            with self._lock:
                before = dict(self._devices)
            changes = [UsbChange("remove", d) for k, d in before.items() if now.get(k) != d]
            changes += [UsbChange("add", d) for k, d in now.items() if before.get(k) != d]
            self._apply(changes)

    def _set_devices(self, devices: list[UsbDevice]) -> None:
        with self._lock:
            self._devices = {(d.bus, d.address): d for d in devices[:MAX_USB_DEVICES]}

    def _apply(self, changes: list[UsbChange]) -> None:
        for change in changes:
            key = (change.device.bus, change.device.address)
            with self._lock:
                if change.action == "add":
                    self._devices[key] = change.device
                else:
                    self._devices.pop(key, None)
                subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(change)
                except Exception:
                    log.exception("hot-plug subscriber failed on %s %s", change.action, change.device.ids)

    def stop(self) -> None:
        self._stop.set()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.send_stop()
        self.mode = "stopped"

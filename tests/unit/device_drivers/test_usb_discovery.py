"""USB discovery against a fake pyusb backend (the real libusb is never touched)."""

from __future__ import annotations

from types import SimpleNamespace

import usb.backend

from device_drivers.base import DeviceUnavailableError, Modality
from device_drivers.manager import DeviceManager
from device_drivers.usb_discovery import AllowedModel, UsbScanner, UsbSource

MODELS = [
    AllowedModel.from_master_data(
        {
            "id": "m1",
            "modality": "finger",
            "make": "Acme",
            "model": "Slap 4",
            "vendor_id": "0x1234",
            "product_id": "0x0001",
        }
    ),
    AllowedModel.from_master_data(
        {"id": "m2", "modality": "iris", "make": "Acme", "model": "Eye 2", "vendor_id": 4660, "product_id": 2}
    ),
]


class FakeBackend(usb.backend.IBackend):
    """Implements the two IBackend calls usb.core.find needs; ``plugged`` is edited by the test."""

    def __init__(self) -> None:
        self.plugged: list[SimpleNamespace] = []

    def enumerate_devices(self):
        return iter(list(self.plugged))

    def get_device_descriptor(self, dev):
        return dev


def fake_device(vendor: int, product: int, address: int) -> SimpleNamespace:
    return SimpleNamespace(
        bLength=18,
        bDescriptorType=1,
        bcdUSB=0x200,
        bDeviceClass=0,
        bDeviceSubClass=0,
        bDeviceProtocol=0,
        bMaxPacketSize0=64,
        idVendor=vendor,
        idProduct=product,
        bcdDevice=1,
        iManufacturer=0,
        iProduct=0,
        iSerialNumber=3,
        bNumConfigurations=1,
        address=address,
        bus=1,
        port_number=address,
        port_numbers=(address,),
        speed=3,
    )


def test_scan_lists_only_allowed_models() -> None:
    backend = FakeBackend()
    backend.plugged = [fake_device(0x1234, 1, 5), fake_device(0xDEAD, 0xBEEF, 6), fake_device(0x1234, 2, 7)]
    found = UsbScanner(MODELS, backend_factory=lambda: backend).scan()
    assert [(i.key, i.modality, i.identity.model, i.detail) for i in found] == [
        ("usb:1:5", Modality.FINGER, "Slap 4", "1234:0001"),
        ("usb:1:7", Modality.IRIS, "Eye 2", "1234:0002"),
    ]


def test_plug_and_unplug_are_reported_through_the_manager() -> None:
    backend = FakeBackend()
    manager = DeviceManager({"usb": lambda: UsbSource(UsbScanner(MODELS, backend_factory=lambda: backend))})
    events = []
    manager.subscribe(events.append)
    assert manager.refresh() == []
    backend.plugged = [fake_device(0x1234, 1, 5)]
    manager.refresh()
    backend.plugged = []
    manager.refresh()
    assert [(e.kind, e.info.key, e.info.status.value) for e in events] == [
        ("plugged", "usb:1:5", "ready"),
        ("unplugged", "usb:1:5", "unplugged"),
    ]
    manager.close()


def test_missing_libusb_disables_only_usb_with_a_reason() -> None:
    def no_backend() -> object:
        raise DeviceUnavailableError("USB discovery is off: the libusb library could not be loaded")

    manager = DeviceManager({"usb": lambda: UsbSource(UsbScanner(MODELS, backend_factory=no_backend))})
    assert manager.refresh() == []
    assert "libusb" in manager.unavailable["usb"]
    manager.close()


def test_background_polling_notices_a_plug() -> None:
    import threading

    backend = FakeBackend()
    manager = DeviceManager({"usb": lambda: UsbSource(UsbScanner(MODELS, backend_factory=lambda: backend))})
    plugged = threading.Event()
    manager.subscribe(lambda event: plugged.set() if event.kind == "plugged" else None)
    manager.start_polling(interval_s=0.05)
    backend.plugged = [fake_device(0x1234, 2, 9)]
    assert plugged.wait(timeout=5)
    assert [d.modality for d in manager.devices()] == [Modality.IRIS]
    manager.close()

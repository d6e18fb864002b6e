"""USB discovery with pyusb over the libusb shipped by the ``libusb-package`` wheel.

Lists connected devices whose vendor/product ids match the allowed device models from master data
(entity ``device_models``: {id, modality, make, model, vendor_id, product_id}); plug and unplug are
noticed by polling ``scan`` (the DeviceManager does it) because libusb hot-plug is not available on
every platform. The backend is injectable so tests run with a fake pyusb backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from device_drivers.base import DeviceIdentity, DeviceInfo, DeviceStatus, DeviceUnavailableError, Modality


@dataclass(frozen=True)
class AllowedModel:
    id: str
    modality: Modality
    make: str
    model: str
    vendor_id: int
    product_id: int

    @classmethod
    def from_master_data(cls, row: dict) -> AllowedModel:
        def as_int(value: object) -> int:
            return int(value, 0) if isinstance(value, str) else int(value)  # "0x1234", "4660" or 4660

        return cls(
            str(row["id"]),
            Modality(str(row["modality"]).lower()),
            str(row.get("make", "")),
            str(row.get("model", "")),
            as_int(row["vendor_id"]),
            as_int(row["product_id"]),
        )


def libusb_package_backend() -> object:
    """The libusb-1.0 backend from the libusb-package wheel; DeviceUnavailableError with a reason if absent."""
    try:
        import libusb_package
        import usb.backend.libusb1  # noqa: F401 - the backend module libusb_package hands out
    except ImportError as exc:
        raise DeviceUnavailableError(
            f"USB discovery is off: pyusb or libusb-package is not installed ({exc})"
        ) from exc
    backend = libusb_package.get_libusb1_backend()
    if backend is None:
        raise DeviceUnavailableError("USB discovery is off: the libusb library could not be loaded")
    return backend


class UsbScanner:
    """``scan()`` returns one DeviceInfo per connected allowed device (key "usb:bus:address")."""

    name = "usb"

    def __init__(
        self,
        allowed: Iterable[AllowedModel],
        *,
        backend_factory: Callable[[], object] = libusb_package_backend,
    ) -> None:
        self.allowed = {(m.vendor_id, m.product_id): m for m in allowed}
        self._backend_factory = backend_factory
        self._backend: object | None = None

    def scan(self) -> list[DeviceInfo]:
        import usb.core
        import usb.util

        if self._backend is None:
            self._backend = self._backend_factory()
        found = []
        for device in usb.core.find(find_all=True, backend=self._backend):
            model = self.allowed.get((device.idVendor, device.idProduct))
            if model is None:
                continue
            try:
                serial = usb.util.get_string(device, device.iSerialNumber) if device.iSerialNumber else ""
            except (usb.core.USBError, NotImplementedError, ValueError):
                serial = ""  # reading strings needs device permissions; the ids are enough to match
            identity = DeviceIdentity(
                make=model.make, model=model.model, serial=serial or "", certification="", device_id=model.id
            )
            found.append(
                DeviceInfo(
                    key=f"usb:{device.bus}:{device.address}",
                    modality=model.modality,
                    identity=identity,
                    status=DeviceStatus.READY,
                    detail=f"{device.idVendor:04x}:{device.idProduct:04x}",
                )
            )
        return found


class UsbSource:
    """USB devices matching master-data models; detected only (their SBI service does the I/O)."""

    name = "usb"

    def __init__(self, scanner: UsbScanner) -> None:
        self.scanner = scanner

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        return [(info, None) for info in self.scanner.scan()]

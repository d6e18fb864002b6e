"""A folder shaped like Linux's /sys/bus/usb/devices, for the hot-plug tests: plug and unplug by
creating and removing a device's folder (its ids, bus place, names and interface classes), which the
monitor's real sysfs reader (device_drivers.hotplug.SysfsUsbEnumerator) then reads."""

from __future__ import annotations

from pathlib import Path


def plug(
    root: Path, name: str, *, vendor: str, product: str, bus: int, address: int, classes=("ff",)
) -> None:
    """A USB device as Linux shows it under /sys/bus/usb/devices (device folder plus interfaces)."""
    device = root / name
    device.mkdir(parents=True)
    for file, text in {
        "idVendor": vendor,
        "idProduct": product,
        "busnum": str(bus),
        "devnum": str(address),
        "bDeviceClass": "00",
        "manufacturer": "Acme",
        "product": f"Model {product}",
    }.items():
        (device / file).write_text(text + "\n")
    for index, klass in enumerate(classes):
        (root / f"{name}:1.{index}").mkdir()
        (root / f"{name}:1.{index}" / "bInterfaceClass").write_text(klass + "\n")


def unplug(root: Path, name: str) -> None:
    for path in sorted(root.glob(f"{name}*"), reverse=True):
        for file in path.iterdir():
            file.unlink()
        path.rmdir()

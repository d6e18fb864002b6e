"""USB hot-plug: the polling monitor for real (its sysfs reader on a sysfs-shaped folder the test edits,
its own thread, real timing), udev events as pyudev Device objects built by libudev itself, the
master-data allow-list, and a DeviceManager whose discovery follows the monitor.

What is not exercised here: events arriving through a live udev netlink socket (CI has no udevd; the
udev monitor is started and stopped only) and real USB hardware.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from device_drivers.allow_list import AllowList, parse_usb_id
from device_drivers.base import DeviceIdentity, DeviceInfo, DeviceStatus, Modality
from device_drivers.hotplug import HotplugMonitor, SysfsUsbEnumerator, UsbChange, UsbDevice, device_from_udev
from device_drivers.manager import DeviceManager
from device_drivers.sane.source import usb_ids, usb_place
from tests.support.usb_sysfs import plug, unplug


def test_sysfs_reader_sees_ids_places_classes_and_leaves_interfaces_out(tmp_path):
    plug(tmp_path, "1-2", vendor="04a9", product="1912", bus=1, address=5)
    plug(tmp_path, "1-3", vendor="046d", product="c31c", bus=1, address=6, classes=("03", "03"))
    plug(tmp_path, "usb1", vendor="1d6b", product="0002", bus=1, address=1, classes=("09",))
    found = {d.ids: d for d in SysfsUsbEnumerator(tmp_path)()}
    assert set(found) == {"04a9:1912", "046d:c31c", "1d6b:0002"}
    scanner = found["04a9:1912"]
    assert (scanner.bus, scanner.address, scanner.interface_classes) == (1, 5, (0xFF,))
    assert scanner.product == "Model 1912" and not scanner.passive
    assert found["046d:c31c"].passive and found["1d6b:0002"].passive  # a keyboard, a root hub


def test_polling_monitor_reports_plug_and_unplug_within_two_seconds(tmp_path):
    monitor = HotplugMonitor(enumerator=SysfsUsbEnumerator(tmp_path), poll_interval_s=0.2)
    changes: list[tuple[str, str, float]] = []
    seen = threading.Event()

    def record(change: UsbChange) -> None:
        changes.append((change.action, change.device.ids, time.monotonic()))
        seen.set()

    def broken(_change: UsbChange) -> None:
        raise RuntimeError("a subscriber's own bug")

    monitor.subscribe(broken)  # logged; the others are still told
    unsubscribe = monitor.subscribe(record)
    assert monitor.start() == "polling"
    try:
        plugged_at = time.monotonic()
        plug(tmp_path, "2-1", vendor="04a9", product="1912", bus=2, address=3)
        assert seen.wait(2.0)
        assert changes[0][:2] == ("add", "04a9:1912") and changes[0][2] - plugged_at < 2.0
        assert [d.ids for d in monitor.devices()] == ["04a9:1912"]
        seen.clear()
        unplug(tmp_path, "2-1")
        assert seen.wait(2.0) and changes[-1][:2] == ("remove", "04a9:1912")
        assert monitor.devices() == []
        unsubscribe()
        seen.clear()
        plug(tmp_path, "2-1", vendor="04a9", product="1912", bus=2, address=4)
        assert not seen.wait(0.6)  # unsubscribed: not told any more
        assert [d.address for d in monitor.devices()] == [4]  # the monitor itself still follows
    finally:
        monitor.stop()


class UsbListedSource:
    """A source listing the allowed devices the monitor sees (as the SANE/libfprint sources do)."""

    name = "usb-listed"

    def __init__(self, monitor: HotplugMonitor, allow: AllowList) -> None:
        self.monitor, self.allow = monitor, allow

    def discover(self):
        found = []
        for usb in self.monitor.devices():
            model = self.allow.usb(usb.vendor_id, usb.product_id)
            status = DeviceStatus.READY if model else DeviceStatus.NOT_ALLOWED
            info = DeviceInfo(
                f"usb:{usb.bus}:{usb.address}",
                Modality.DOCUMENT,
                DeviceIdentity("Acme", usb.product, ""),
                status,
            )
            found.append((info, object() if model else None))
        return found


def test_a_plug_refreshes_the_manager_without_polling_it_and_a_replug_is_usable(tmp_path):
    allow = AllowList([{"id": "S1", "modality": "document", "vendor_id": "04a9", "product_id": "0x1912"}])
    monitor = HotplugMonitor(enumerator=SysfsUsbEnumerator(tmp_path), poll_interval_s=0.2)
    manager = DeviceManager(
        {"usb": lambda: UsbListedSource(monitor, allow)}, hotplug=monitor, allow_list=allow
    )
    events: list[tuple[str, str]] = []
    manager.subscribe(lambda e: events.append((e.kind, e.info.status.value)))
    try:
        manager.refresh()  # starts the monitor; nothing plugged yet
        assert monitor.mode == "polling" and manager.devices() == []
        plug(tmp_path, "3-1", vendor="04a9", product="1912", bus=3, address=2)
        plug(tmp_path, "3-2", vendor="dead", product="beef", bus=3, address=3)
        deadline = time.monotonic() + 2.0
        while len(manager.devices()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        states = {i.key: i.status for i in manager.devices()}
        assert states == {"usb:3:2": DeviceStatus.READY, "usb:3:3": DeviceStatus.NOT_ALLOWED}
        assert manager.device(Modality.DOCUMENT).key == "usb:3:2"  # the one not allowed is never offered
        unplug(tmp_path, "3-1")
        deadline = time.monotonic() + 2.0
        while "usb:3:2" in {i.key for i in manager.devices()} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ("unplugged", "unplugged") in events
        plug(tmp_path, "3-1", vendor="04a9", product="1912", bus=3, address=7)  # plugged back in
        deadline = time.monotonic() + 2.0
        while "usb:3:7" not in {i.key for i in manager.devices()} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert manager.device(Modality.DOCUMENT).key == "usb:3:7"
    finally:
        manager.close()


def udev():
    return pytest.importorskip("pyudev", reason="pyudev is not installed (the kiosk extra, Linux only)")


CHILD = """
import dataclasses, json, pyudev
from device_drivers.hotplug import device_from_udev
device = pyudev.Devices.from_environment(pyudev.Context())
usb = device_from_udev(device)
print(json.dumps({"action": device.action, "usb": dataclasses.asdict(usb) if usb else None}))
"""


def udev_event(**props: str) -> dict:
    """A uevent as udev hands it to a monitor: a pyudev Device built by libudev from a uevent's
    variables (udev_device_new_from_environment), in a child with exactly those variables (libudev
    reads the C environment, which a test cannot set reliably in-process), translated there."""
    udev()
    root = str(Path(__file__).resolve().parents[3])
    env = {"SEQNUM": "42", "PATH": os.environ.get("PATH", ""), "PYTHONPATH": root, **props}
    child = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    if child.returncode != 0:
        pytest.skip(f"libudev cannot build a device here: {child.stderr.strip().splitlines()[-1:]}")
    return json.loads(child.stdout)


def test_udev_events_become_usb_changes():
    added = udev_event(
        ACTION="add",
        DEVPATH="/devices/pci0000:00/0000:00:14.0/usb1/1-4",
        SUBSYSTEM="usb",
        DEVTYPE="usb_device",
        PRODUCT="4a9/1912/100",
        BUSNUM="001",
        DEVNUM="009",
        TYPE="0/0/0",
        ID_USB_INTERFACES=":ffffff:",
        ID_VENDOR_FROM_DATABASE="Canon, Inc.",
    )
    assert added["action"] == "add"
    usb = UsbDevice(**{k: tuple(v) if isinstance(v, list) else v for k, v in added["usb"].items()})
    assert (usb.ids, usb.bus, usb.address) == ("04a9:1912", 1, 9)
    assert usb.interface_classes == (0xFF,) and usb.manufacturer == "Canon, Inc." and not usb.passive
    removed = udev_event(
        ACTION="remove",
        DEVPATH="/devices/x/usb1/1-4",
        SUBSYSTEM="usb",
        DEVTYPE="usb_device",
        PRODUCT="4a9/1912/100",
        BUSNUM="001",
        DEVNUM="009",
    )  # a remove from the kernel carries no ID_* from udev's database: PRODUCT gives the ids
    assert removed["action"] == "remove" and removed["usb"]["vendor_id"] == 0x04A9
    interface = udev_event(
        ACTION="add", DEVPATH="/devices/x/usb1/1-4/1-4:1.0", SUBSYSTEM="usb", DEVTYPE="usb_interface"
    )
    assert interface["usb"] is None


def test_a_device_read_from_sysfs_by_pyudev_that_is_not_usb_is_ignored():
    context = udev().Context()
    device = next(iter(context.list_devices()), None)
    if device is None:
        pytest.skip("this machine's sysfs lists no device")
    assert (
        device.subsystem != "usb"
        or device_from_udev(device) is not None
        or device.device_type != "usb_device"
    )
    usb_devices = [d for d in context.list_devices(subsystem="usb", DEVTYPE="usb_device")]
    assert all(device_from_udev(d) is not None for d in usb_devices)  # none here in CI; real ones on a kiosk


def test_the_udev_monitor_starts_where_netlink_works_and_stops():
    udev()
    monitor = HotplugMonitor()
    mode = monitor.start()
    try:
        assert mode in ("udev", "polling", "off")
        if mode != "udev":
            pytest.skip(f"no udev netlink here: {monitor.reason}")
    finally:
        monitor.stop()
    assert monitor.mode == "stopped"


def test_allow_list_reads_ids_in_hex_and_reports_rows_it_cannot_read():
    assert parse_usb_id("04a9") == parse_usb_id("0x04A9") == parse_usb_id(0x04A9) == 0x04A9
    with pytest.raises(ValueError):
        parse_usb_id("scanner")
    allow = AllowList(
        [
            {"id": "A", "modality": "document", "vendor_id": "04a9", "product_id": "1912"},
            {"id": "B", "modality": "document", "sane_device": "airscan:*"},
            {"id": "C", "modality": "finger", "vendor_id": "0001", "product_id": "0002"},
            {"id": "D", "modality": "document"},
            {"id": "E", "modality": "telepathy", "vendor_id": "1", "product_id": "2"},
        ]
    )
    assert [m.id for m in allow.models()] == ["A", "B", "C"]
    assert len(allow.problems) == 2 and "D" in allow.problems[0]
    assert allow.scanner("genesys:libusb:001:005", (0x04A9, 0x1912)).id == "A"
    assert allow.scanner("airscan:e0:Office", None).id == "B"
    assert allow.scanner("test:0", None) is None
    assert allow.scanner("x", (0x0001, 0x0002)) is None  # a finger model never allows a scanner


def test_allow_list_allows_libfprint_readers_by_their_driver_only_as_finger_models():
    allow = AllowList(
        [
            {"id": "G", "modality": "finger", "fprint_driver": "goodix*"},
            {"id": "S", "modality": "document", "fprint_driver": "synaptics"},
            {"id": "U", "modality": "finger", "vendor_id": "27c6", "product_id": "5125"},
        ]
    )
    assert not allow.problems
    assert allow.fingerprint_reader("goodixmoc").id == "G"
    assert allow.fingerprint_reader("synaptics") is None  # a document model never allows a reader
    assert allow.fingerprint_reader("elanmoc") is None  # nor do USB ids: libfprint does not give them
    assert allow.scanner("goodixmoc", None) is None


def test_sane_names_give_the_usb_place_or_ids():
    plugged = [UsbDevice(1, 5, 0x04A9, 0x1912)]
    assert usb_place("genesys:libusb:001:005") == (1, 5)
    assert usb_ids("genesys:libusb:001:005", plugged) == (0x04A9, 0x1912)
    assert usb_ids("pixma:04A91912_ABC", []) == (0x04A9, 0x1912)
    assert usb_ids("airscan:e0:Office", plugged) is None

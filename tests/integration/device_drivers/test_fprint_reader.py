"""Fingerprint readers through libfprint, end to end on libfprint's own virtual_image reader: the real
library (GObject introspection, enumeration, open, capture, removal) in the real host process, behind
the real DeviceManager and the kiosk's capture port. The test is the finger: it sends the images."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from client.core.capture import DeviceCapture
from demo.synthetic import person_finger
from device_drivers.allow_list import AllowList
from device_drivers.base import (
    DeviceDisconnectedError,
    DeviceNotFoundError,
    DeviceStatus,
    DeviceTimeoutError,
    DeviceUnavailableError,
    Modality,
)
from device_drivers.fprint.errors import FingerRetryError, NoImageError, OneFingerError
from device_drivers.fprint.host_client import FprintHost
from device_drivers.fprint.source import FprintSource, unavailable_reason
from device_drivers.hotplug import HotplugMonitor, UsbDevice
from device_drivers.iso import CbeffEntry, read_cbeff, read_iso_record, write_cbeff
from device_drivers.iso.images import decode_image
from device_drivers.manager import DeviceManager
from tests.support.virtual_fprint import (
    ALLOW_VIRTUAL,
    CLOSE,
    RETRY_NOT_CENTRED,
    UNPLUG,
    VirtualReader,
    virtual_allowed,
)

pytestmark = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"{unavailable_reason()} (installers/system-deps.sh)"
)
KEY = "fprint:virtual_image:0"


@pytest.fixture
def reader():
    virtual = VirtualReader()
    yield virtual
    virtual.close()


def manager_over(virtual: VirtualReader, **options: object) -> DeviceManager:
    return DeviceManager(
        {"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=virtual.host())}, **options
    )  # type: ignore[arg-type]


def test_discovery_capture_and_the_iso_record_read_back(reader):
    manager = manager_over(reader)
    try:
        events = []
        manager.subscribe(events.append)
        manager.refresh()
        assert [(e.kind, e.info.key) for e in events] == [("plugged", KEY)]
        info = manager.current(Modality.FINGER)
        assert info.status == DeviceStatus.READY and info.identity.make == "libfprint"
        reader.fingers((2, 0))
        finger = manager.device(Modality.FINGER)
        [result] = finger.capture(bio_subtypes=["Right IndexFinger"], timeout_s=10).result(30)
    finally:
        manager.close()
    assert result.bio_subtype == "Right IndexFinger" and result.image_format == "jp2"
    assert result.identity.device_id == "virtual_image:0" and int(result.extra["minutiae"]) > 10
    record = read_iso_record(result.iso_record)
    [image] = record.fingers
    assert image.position == 2 and (image.width, image.height) == (300, 420) and image.resolution_ppi == 500
    assert image.quality[0].score == result.quality >= 60
    sent = person_finger(7, 2)
    assert np.array_equal(decode_image(image.image, grayscale=True), sent)  # lossless, pixel for pixel
    entry = CbeffEntry("Finger", result.bio_subtype, result.quality, result.iso_record, result.captured_at)
    [back] = read_cbeff(write_cbeff([entry]))
    assert back.iso_record == result.iso_record and back.quality == result.quality


def test_a_single_finger_reader_takes_a_group_finger_by_finger_through_the_capture_port(reader):
    capture = DeviceCapture(lambda: manager_over(reader))
    try:
        assert capture.fingers_per_capture("left_slap") == 4  # nothing discovered yet
        capture.refresh()
        assert capture.fingers_per_capture("left_slap") == 1 and capture.fingers_per_capture("irises") == 2
        with pytest.raises(OneFingerError):
            capture.capture_group("left_slap")  # the page asks finger by finger instead
        reader.fingers((7, 0))
        others = ("Left MiddleFinger", "Left RingFinger", "Left LittleFinger")
        [record] = capture.capture_group("left_slap", exceptions=others)
    finally:
        capture.close()
    assert record.bio_subtype == "Left IndexFinger" and record.device["make"] == "libfprint"
    assert read_iso_record(record.record).fingers[0].position == 7


def test_a_misplaced_finger_is_a_typed_retry_and_the_reader_goes_on(reader):
    source = FprintSource(allow_list=virtual_allowed(), host=reader.host())
    try:
        [(_info, device)] = source.discover()
        reader.script.append(RETRY_NOT_CENTRED)
        with pytest.raises(FingerRetryError) as caught:
            device.capture(bio_subtypes=["Left Thumb"], timeout_s=10)
        assert caught.value.device_error == "finger_not_centred"
        reader.fingers((6, 1))
        [result] = device.capture(bio_subtypes=["Left Thumb"], timeout_s=10)
        assert result.bio_subtype == "Left Thumb" and result.quality > 0
    finally:
        source.close()


def test_a_reader_whose_driver_master_data_does_not_allow_is_listed_but_never_offered(reader):
    only_goodix = AllowList([{"id": "G", "modality": "finger", "fprint_driver": "goodixmoc"}])
    manager = DeviceManager({"fprint": lambda: FprintSource(allow_list=only_goodix, host=reader.host())})
    try:
        manager.refresh()
        assert manager.current(Modality.FINGER) is None
        [info] = manager.devices()
        assert info.status == DeviceStatus.NOT_ALLOWED and info.key == KEY
        assert info.detail == "libfprint driver virtual_image is not in master data (device_models)"
        only_goodix.replace([ALLOW_VIRTUAL])  # master data changes: the same reader is offered
        manager.refresh()
        assert manager.current(Modality.FINGER).status == DeviceStatus.READY
    finally:
        manager.close()


def test_a_reader_that_only_matches_on_its_chip_says_it_gives_no_image():
    virtual = VirtualReader(match_on_chip=True, image_reader=False)
    manager = manager_over(virtual)
    try:
        manager.refresh()
        info = manager.current(Modality.FINGER)
        assert info.key == "fprint:virtual_device:0" and info.status == DeviceStatus.NOT_READY
        assert "no fingerprint image" in info.detail
        with pytest.raises(NoImageError, match="gives no image"):
            manager.device(Modality.FINGER).capture(bio_subtypes=["Left Thumb"]).result(30)
    finally:
        manager.close()
        virtual.close()


def test_an_unplug_mid_capture_fails_that_capture_and_a_hot_plug_brings_the_reader_back(reader):
    usb = [UsbDevice(1, 2, 0x1C7A, 0x0570, 0xFF, (0xFF,), "EgisTec", "fingerprint reader")]
    monitor = HotplugMonitor(enumerator=lambda: list(usb), poll_interval_s=0.1)
    source = FprintSource(allow_list=virtual_allowed(), host=reader.host(), hotplug=monitor)
    manager = DeviceManager({"fprint": lambda: source}, hotplug=monitor)
    events = []
    manager.subscribe(events.append)
    try:
        manager.refresh()
        reader.script.append(UNPLUG)
        with pytest.raises(DeviceDisconnectedError, match="unplugged during the capture; nothing was kept"):
            manager.device(Modality.FINGER).capture(bio_subtypes=["Right Thumb"], timeout_s=10).result(30)
        usb.clear()  # the kiosk's USB monitor sees it leave: discovery runs by itself
        deadline = time.monotonic() + 2.0
        while not any(e.kind == "unplugged" for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [(e.kind, e.info.key) for e in events if e.kind == "unplugged"] == [("unplugged", KEY)]
        assert manager.current(Modality.FINGER) is None

        plugged_at = time.monotonic()
        usb.append(UsbDevice(1, 3, 0x1C7A, 0x0570, 0xFF, (0xFF,), "EgisTec", "fingerprint reader"))
        while manager.current(Modality.FINGER) is None and time.monotonic() < plugged_at + 2.0:
            time.sleep(0.05)
        assert manager.current(Modality.FINGER) is not None, "the reader is back within 2 s of the plug"
        assert [e.kind for e in events if e.info.key == KEY] == ["plugged", "unplugged", "plugged"]
        reader.fingers((1, 0))
        [result] = manager.device(Modality.FINGER).capture(bio_subtypes=["Right Thumb"]).result(30)
        assert result.bio_subtype == "Right Thumb"
    finally:
        manager.close()


def test_the_socket_closed_with_no_image_ends_in_a_timeout_with_nothing_kept(reader):
    source = FprintSource(allow_list=virtual_allowed(), host=reader.host())
    try:
        [(_info, device)] = source.discover()
        reader.script.append(CLOSE)  # the sensor's connection opens and drops: no finger ever comes
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError, match="No finger was placed"):
            device.capture(bio_subtypes=["Right MiddleFinger"], timeout_s=1.5)
        assert time.monotonic() - started < 6
        reader.fingers((3, 0))  # the reader is not wedged: the next finger comes through
        [result] = device.capture(bio_subtypes=["Right MiddleFinger"], timeout_s=10)
        assert read_iso_record(result.iso_record).fingers[0].position == 3
    finally:
        source.close()


def test_the_host_dying_mid_capture_is_a_disconnect_and_the_next_discovery_starts_a_new_one(reader):
    source = FprintSource(allow_list=virtual_allowed(), host=reader.host())
    try:
        [(_info, device)] = source.discover()
        first = source.host.pid
        threading.Timer(0.8, os.kill, (first, signal.SIGKILL)).start()
        with pytest.raises(DeviceDisconnectedError, match="stopped answering"):
            device.capture(bio_subtypes=["Left Thumb"], timeout_s=10)
        [(info, _device)] = source.discover()
        assert info.key == KEY and source.host.pid not in (None, first)
    finally:
        source.close()
    assert source.host.pid is None


def test_the_kiosk_setting_turns_the_readers_on(reader, monkeypatch):
    from tests.support.devices import kiosk_devices

    for name, value in reader.env.items():  # the host inherits the kiosk's environment
        monkeypatch.setenv(name, value)
    devices = kiosk_devices(fingerprint_reader=True, device_models=[])  # master data allows none
    try:
        assert devices.status() == {}
        assert [s.status for s in devices.device_states() if s.modality == "finger"] == ["not allowed"]
    finally:
        devices.close()
    # OPENREG_CLIENT_FINGERPRINT_READER=1 and master data allowing the reader's libfprint driver
    devices = kiosk_devices(fingerprint_reader=True, device_models=[ALLOW_VIRTUAL])
    try:
        assert devices.status() == {"finger": "ready"}
        assert devices.fingers_per_capture("thumbs") == 1
        assert [(s.key, s.status) for s in devices.device_states() if s.modality == "finger"] == [
            (KEY, "ready")
        ]
    finally:
        devices.close()


def test_without_pygobject_the_driver_is_not_available_and_the_rest_works(tmp_path, monkeypatch):
    shadow = tmp_path / "no_gi" / "gi"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named gi (test shadow)')\n")
    host = FprintHost(env={"PYTHONPATH": str(shadow.parent)})
    manager = DeviceManager({"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=host)})
    try:
        manager.refresh()
        assert manager.unavailable["fprint"].startswith("libfprint is not available on this system")
        with pytest.raises(DeviceNotFoundError, match="not available on this system"):
            manager.device(Modality.FINGER)
    finally:
        manager.close()
    monkeypatch.setattr("sys.platform", "win32")
    with pytest.raises(DeviceUnavailableError, match="not available on this system .*needs Linux"):
        FprintSource(allow_list=virtual_allowed())

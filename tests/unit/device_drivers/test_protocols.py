"""Every adapter satisfies its modality Protocol, and the device thread never runs on the caller's thread."""

from __future__ import annotations

import threading

from device_drivers import BarcodeDevice, DocumentDevice, FaceDevice, FingerDevice, IrisDevice
from device_drivers.barcode import BarcodeReader
from device_drivers.camera.adapter import OpenCvCamera
from device_drivers.device_thread import DeviceThread
from device_drivers.sbi.client import SbiDevice, SbiEndpoint


def test_adapters_implement_the_modality_protocols() -> None:
    endpoint = SbiEndpoint(4501, "1", "Finger", "Ready", (1,), {"serialNo": "x"})
    sbi = SbiDevice(endpoint, anchors=[])
    assert isinstance(sbi, FingerDevice) and isinstance(sbi, IrisDevice)
    camera = OpenCvCamera(source_factory=lambda: None)
    assert isinstance(camera, FaceDevice) and isinstance(camera, DocumentDevice)
    assert isinstance(BarcodeReader(), BarcodeDevice)


def test_device_thread_runs_work_off_the_callers_thread() -> None:
    thread = DeviceThread("t")
    worker = thread.call(threading.get_ident)
    assert worker != threading.get_ident()
    assert thread.call(thread.owns_current_thread) and not thread.owns_current_thread()
    assert thread.call(threading.get_ident) == worker  # one thread per device: calls are serialised
    thread.close()

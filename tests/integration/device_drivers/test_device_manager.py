"""Device manager over the simulator process: discovery events, handing out devices, device threads."""

from __future__ import annotations

import threading
import time

import pytest

from device_drivers.base import DeviceNotFoundError, DeviceUnavailableError, Modality
from device_drivers.manager import DeviceManager
from device_drivers.sbi.jws import load_pem_certificates
from device_drivers.sbi.source import SbiSource
from tests.support.sbi_simulator import SimulatorProcess


def make_manager(sim: SimulatorProcess) -> DeviceManager:
    anchors = load_pem_certificates(sim.ca_pem.read_bytes())
    return DeviceManager({"sbi": lambda: SbiSource(anchors=anchors, ports=[sim.port])})


def test_events_devices_and_capture_on_the_device_thread(start_sbi_simulator) -> None:
    sim = start_sbi_simulator(profile="all")
    manager = make_manager(sim)
    events = []
    manager.subscribe(events.append)
    manager.refresh()
    assert sorted(e.info.modality.value for e in events if e.kind == "plugged") == ["face", "finger", "iris"]

    finger = manager.device(Modality.FINGER)
    caller = threading.get_ident()
    seen_threads = []
    real_capture = finger.device.capture

    def spy(**kwargs):
        seen_threads.append(threading.get_ident())
        return real_capture(**kwargs)

    finger.device.capture = spy
    results = finger.capture(bio_subtypes=["Left Thumb", "Right Thumb"]).result(timeout=30)
    assert [r.bio_subtype for r in results] == ["Left Thumb", "Right Thumb"]
    assert seen_threads and seen_threads[0] != caller

    frames = []
    preview = manager.device(Modality.FACE).start_preview(frames.append, timeout_s=5)
    deadline = time.monotonic() + 10
    while len(frames) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    preview.stop()
    assert preview.future.result(timeout=10) >= 3

    sim.admin(status="Busy")
    events.clear()
    manager.refresh()
    assert {(e.kind, e.info.status.value, e.previous_status.value) for e in events} == {
        ("status", "busy", "ready")
    }

    sim.stop()
    events.clear()
    manager.refresh()
    assert sorted((e.kind, e.info.status.value) for e in events) == [("unplugged", "unplugged")] * 3
    with pytest.raises(DeviceNotFoundError, match="No finger device"):
        manager.device(Modality.FINGER)
    manager.close()


def test_a_missing_optional_library_disables_one_driver_only(sbi_simulator: SimulatorProcess) -> None:
    anchors = load_pem_certificates(sbi_simulator.ca_pem.read_bytes())

    def barcode_without_libraries() -> object:
        raise DeviceUnavailableError("barcode scanning is off: zxing-cpp is not installed")

    manager = DeviceManager(
        {
            "sbi": lambda: SbiSource(anchors=anchors, ports=[sbi_simulator.port]),
            "barcode": barcode_without_libraries,
        }
    )
    manager.refresh()
    assert manager.device(Modality.IRIS).info_at_discovery.identity.serial == "SIM-IRS-0001"
    with pytest.raises(DeviceNotFoundError, match="zxing-cpp"):
        manager.device(Modality.BARCODE)
    manager.close()


def test_build_device_manager_wires_sbi_camera_and_barcode(sbi_simulator: SimulatorProcess, tmp_path) -> None:
    import cv2

    from demo.synthetic import synthetic_face
    from device_drivers import build_device_manager

    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), synthetic_face())
    manager = build_device_manager(
        trust_anchors_pem=sbi_simulator.ca_pem.read_bytes(),
        sbi_ports=[sbi_simulator.port],
        face_camera=folder,
        document_camera=folder,
    )
    manager.refresh()
    assert manager.device(Modality.FACE).key.startswith("sbi:")  # certified device preferred over the webcam
    assert manager.device(Modality.DOCUMENT).capture_document().result(timeout=10).image_format == "jpeg"
    assert manager.device(Modality.BARCODE).decode(synthetic_face()).result(timeout=10) == []
    manager.close()

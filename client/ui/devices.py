"""Find the kiosk's devices for the window: SBI services on 127.0.0.1:4501-4600, and the OpenCV
document camera with the barcode reader that scans through it.

A stop-gap until the client core's composition root offers a device manager: discovery runs on the
operation worker (never the UI thread) and the result becomes the pages' capture source.
``device_ca`` is the PEM bundle of device-provider CAs the kiosk trusts (SBI answers are verified).
"""

from __future__ import annotations

from pathlib import Path

from client.ui.device_source import DeviceBiometricSource
from device_drivers.sbi import PORT_RANGE

SBI_KINDS = {"Finger": "finger", "Iris": "iris", "Face": "face"}


def camera_devices(*, document_camera: int | str | Path | None) -> dict[str, object]:
    """The document camera (webcam index, video file or image folder) and, when a decoder loads, the
    barcode reader that scans pre-registration codes through it. Nothing is opened until first used."""
    if document_camera is None:
        return {}
    from device_drivers.barcode import BarcodeReader
    from device_drivers.base import DeviceUnavailableError, Modality
    from device_drivers.camera.adapter import OpenCvCamera
    from device_drivers.camera.frame_source import open_frame_source

    devices: dict[str, object] = {
        "document": OpenCvCamera(
            source_factory=lambda: open_frame_source(document_camera),
            modality=Modality.DOCUMENT,
            key=f"camera:document:{document_camera}",
        )
    }
    reader = BarcodeReader()
    try:
        reader.info()
        devices["barcode"] = reader
    except DeviceUnavailableError as exc:  # no decoder at all: scanning says so, the camera still works
        print(f"devices: {exc}")
    return devices


def discover_devices(
    *,
    device_ca: Path | None,
    ports: range | list[int] = PORT_RANGE,
    document_camera: int | str | Path | None = None,
) -> DeviceBiometricSource:
    """The kiosk's devices: SBI devices found on ``ports`` and trusted by ``device_ca``, plus the
    document camera (and the barcode reader that scans with it) when one is given."""
    devices: dict[str, object] = {}
    if device_ca is not None:
        from device_drivers.sbi.client import SbiDevice, discover
        from device_drivers.sbi.jws import load_pem_certificates

        anchors = load_pem_certificates(device_ca.read_bytes())
        for endpoint in discover(ports=ports):
            kind = SBI_KINDS.get(endpoint.bio_type)
            if kind and kind not in devices:
                devices[kind] = SbiDevice(endpoint, anchors)
    from client.core.capture import SbiCapture  # the core's adapter: SBI sub-ids, exceptions

    capture = SbiCapture(devices=dict(devices))
    devices.update(camera_devices(document_camera=document_camera))
    return DeviceBiometricSource(devices, capture=capture)

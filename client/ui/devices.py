"""Find the kiosk's biometric devices for the window: SBI services on 127.0.0.1:4501-4600.

A stop-gap until the client core's composition root offers a device manager: discovery runs on the
operation worker (never the UI thread) and the result becomes the biometrics page's capture source.
``device_ca`` is the PEM bundle of device-provider CAs the kiosk trusts (SBI answers are verified).
"""

from __future__ import annotations

from pathlib import Path

from client.ui.device_source import DeviceBiometricSource

SBI_KINDS = {"Finger": "finger", "Iris": "iris", "Face": "face"}


def discover_sbi_devices(
    *, device_ca: Path, ports: range | list[int] = range(4501, 4601)
) -> DeviceBiometricSource:
    from device_drivers.sbi.client import SbiDevice, discover
    from device_drivers.sbi.jws import load_pem_certificates

    anchors = load_pem_certificates(device_ca.read_bytes())
    devices = {}
    for endpoint in discover(ports=ports):
        kind = SBI_KINDS.get(endpoint.bio_type)
        if kind and kind not in devices:
            devices[kind] = SbiDevice(endpoint, anchors)
    from client.core.capture import SbiCapture  # the core's adapter: SBI sub-ids, exceptions

    return DeviceBiometricSource(devices, capture=SbiCapture(devices=devices))

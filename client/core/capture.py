"""Biometric capture through device_drivers (SBI devices or the SBI simulator) for the workflow.

Maps the workflow's capture groups (two slaps, thumbs, irises, face) to SBI sub-ids and turns each
verified ``CaptureResult`` into a :class:`BiometricCapture`. Calls block on device I/O: run them on a device
thread (device_drivers.device_thread), never on a UI thread.
"""

from __future__ import annotations

from pathlib import Path

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture

GROUP_SUB_IDS = {"left_slap": 1, "right_slap": 2, "thumbs": 3, "irises": 3, "face": 0}
SBI_MODALITY = {"finger": "Finger", "iris": "Iris", "face": "Face"}


class NoDevice(RuntimeError):
    """No device for a modality was found; the message says which one to plug in."""


class SbiCapture:
    def __init__(self, *, devices: dict[str, object]) -> None:
        self._devices = devices  # modality -> device_drivers.sbi.client.SbiDevice

    @classmethod
    def connect(cls, *, ports: list[int] | range, ca_pem: Path, protocol: str = "0.9.5") -> SbiCapture:
        """Discover SBI devices on ``ports`` and trust device certificates issued under ``ca_pem``."""
        from cryptography import x509

        from device_drivers.sbi.client import SbiDevice, discover

        anchors = x509.load_pem_x509_certificates(ca_pem.read_bytes())
        devices: dict[str, object] = {}
        for endpoint in discover(ports=ports, protocol=protocol):
            for modality, bio_type in SBI_MODALITY.items():
                if endpoint.bio_type == bio_type and modality not in devices:
                    devices[modality] = SbiDevice(endpoint=endpoint, anchors=anchors, protocol=protocol)
        return cls(devices=devices)

    @property
    def modalities(self) -> set[str]:
        return set(self._devices)

    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()) -> list[BiometricCapture]:
        modality, subtypes = CAPTURE_GROUPS[group]
        device = self._devices.get(modality)
        if device is None:
            raise NoDevice(f"no {modality} device found; connect one (or start the simulator) and retry")
        wanted = ["" if modality == "face" else s for s in subtypes]
        results = device.capture(
            bio_subtypes=wanted, exceptions=list(exceptions), sub_id=GROUP_SUB_IDS[group]
        )
        return [
            BiometricCapture(
                modality=modality,
                bio_subtype=r.bio_subtype or "Face",
                quality=int(r.quality),
                record=r.iso_record,
                format=r.image_format,
                device=r.identity.as_dict(),
            )
            for r in results
            if not r.exception
        ]

"""The kiosk's capture port for tests: built from device settings as the kiosk builds it, or over
in-memory devices implementing device_drivers' protocols behind a real DeviceManager."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from client.core.bootstrap import device_capture
from client.core.capture import DeviceCapture
from client.core.settings import ClientSettings
from device_drivers.base import (
    CaptureResult,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    Modality,
    PreviewFrame,
)
from device_drivers.manager import DeviceManager, DriverListSource

IDENTITY = DeviceIdentity(make="OpenReg", model="SIM-1", serial="42")


def kiosk_devices(*, device_models: list[dict] | None = None, **device_settings: object) -> DeviceCapture:
    """``client.core.bootstrap.device_capture`` over ClientSettings with these device fields (e.g.
    ``device_ca_file=sim.ca_pem, sbi_ports=(sim.port, sim.port)`` or ``document_camera=str(video)``);
    ``device_models``: master data's rows of that entity (None: no master data)."""
    settings = ClientSettings(data_dir=Path(tempfile.gettempdir()), **device_settings)
    master_data = None if device_models is None else _DeviceModels(device_models)
    capture = device_capture(settings, master_data=master_data)  # type: ignore[arg-type]
    assert capture is not None, "no device in the settings"
    return capture


class _DeviceModels:
    """The one entity of master data the capture port reads."""

    def __init__(self, rows: list[dict]) -> None:
        self._rows = rows

    def rows(self, entity: str) -> list[dict]:
        return list(self._rows) if entity == "device_models" else []


def capture_over(*drivers: object) -> DeviceCapture:
    """The capture port over a manager whose only source is ``drivers`` (fixed, always plugged)."""
    return DeviceCapture(lambda: DeviceManager({"fake": lambda: DriverListSource("fake", list(drivers))}))


class ProtocolDevice:
    """Implements device_drivers.base.BiometricDevice over in-memory images."""

    def __init__(self, modality):
        self.modality = Modality(modality)

    def info(self):
        return DeviceInfo(
            key=f"sim-{self.modality}", modality=self.modality, identity=IDENTITY, status=DeviceStatus.READY
        )

    def stream(self, *, sub_id=0, timeout_s=30.0):
        for i in range(1000):
            time.sleep(0.01)
            yield PreviewFrame(jpeg=b"\xff\xd8\xff" + bytes([i % 256]), image=None, timestamp=time.time())

    def capture(self, *, bio_subtypes, exceptions=None, requested_score=40, timeout_s=10.0):
        extra = {"one_face": "ok", "sharpness": "ok", "exposure": "low"} if self.modality == "face" else {}
        return [
            CaptureResult(
                modality=self.modality,
                bio_subtype=s,
                iso_record=b"FIR\x00" + s.encode(),
                image_format="png",
                quality=77,
                identity=IDENTITY,
                captured_at="now",
                duration_s=0.1,
                extra=extra,
            )
            for s in bio_subtypes
        ]


class DocumentCamera:
    """Implements device_drivers.base.DocumentDevice: every shot is the same small JPEG."""

    modality = Modality.DOCUMENT

    def info(self):
        return DeviceInfo(key="doc-cam", modality=self.modality, identity=IDENTITY, status=DeviceStatus.READY)

    def capture_document(self):
        return CaptureResult(
            modality=Modality.DOCUMENT,
            bio_subtype="",
            iso_record=b"\xff\xd8\xffscan",
            image_format="jpeg",
            quality=90,
            identity=IDENTITY,
            captured_at="now",
            duration_s=0.2,
        )

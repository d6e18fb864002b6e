"""SBI devices as a :class:`device_drivers.manager.DeviceSource`: discovered on 127.0.0.1 ports, verified
against the device CA, each kept as one :class:`SbiDevice` (so its capture hash chain survives refreshes)."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509

from device_drivers.base import DeviceInfo, DeviceStatus, Modality
from device_drivers.sbi import PORT_RANGE
from device_drivers.sbi.client import MODALITIES, STATUSES, SbiDevice, discover


class SbiSource:
    """SBI devices on 127.0.0.1 (ports 4501-4600 by default), verified against ``anchors``."""

    name = "sbi"

    def __init__(
        self,
        *,
        anchors: list[x509.Certificate],
        ports: Iterable[int] | None = None,
        protocol: str = "0.9.5",
        timeout_s: float = 0.3,
    ) -> None:
        self.anchors, self.protocol, self.timeout_s = anchors, protocol, timeout_s
        self.ports = list(ports) if ports is not None else list(PORT_RANGE)
        self._devices: dict[str, object] = {}

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        found = []
        for endpoint in discover(ports=self.ports, protocol=self.protocol, timeout_s=self.timeout_s):
            key = f"sbi:{endpoint.port}:{endpoint.device_id}"
            device = self._devices.get(key)
            if device is None or device.endpoint.digital_id.get("serialNo") != endpoint.digital_id.get(
                "serialNo"
            ):
                device = SbiDevice(endpoint, self.anchors, protocol=self.protocol)  # keeps its hash chain
                self._devices[key] = device
            info = DeviceInfo(
                key=key,
                modality=MODALITIES.get(endpoint.bio_type, Modality.FACE),
                identity=device._identity(endpoint.digital_id),
                sub_ids=endpoint.sub_ids,
                status=STATUSES.get(endpoint.status, DeviceStatus.NOT_READY),
            )
            found.append((info, device))
        return found

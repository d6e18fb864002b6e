"""One place that wires the adapters into a DeviceManager (the client core calls this once)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from device_drivers.allow_list import AllowList
from device_drivers.base import Modality
from device_drivers.hotplug import HotplugMonitor
from device_drivers.manager import DeviceManager, DeviceSource, DriverListSource


def build_device_manager(
    *,
    trust_anchors_pem: bytes | Iterable[bytes] = b"",
    device_models: Iterable[dict] = (),
    sbi_ports: Iterable[int] | None = None,
    sbi_protocol: str = "0.9.5",
    face_camera: int | str | Path | None = None,
    document_camera: int | str | Path | None = None,
    barcode: bool = True,
    document_scanners: bool = False,
    allow_list: AllowList | None = None,
    hotplug: HotplugMonitor | bool = False,
    fingerprint_readers: bool = False,
    fprint_env: dict[str, str] | None = None,
) -> DeviceManager:
    """Build the manager from settings/master data. ``trust_anchors_pem``: device-provider CA certificates
    (PEM; none = no SBI devices, as none could be verified); ``device_models``: master-data rows for USB
    matching; cameras: a webcam index, a video file or a folder of images (None = no camera); ``barcode``:
    the software reader that decodes camera frames; ``document_scanners``: SANE scanners
    (device_drivers.sane), offered when ``allow_list`` (master data's device_models, which the caller
    replaces when they change) allows them; ``hotplug``: the USB monitor (True: one made here, as the
    kiosk asks) whose plug/unplug events refresh discovery, and which other drivers subscribe to
    (``manager.hotplug.subscribe``). Nothing touches a device until ``refresh()``."""
    from device_drivers.sbi.jws import load_pem_certificates

    pems = [trust_anchors_pem] if isinstance(trust_anchors_pem, bytes) else list(trust_anchors_pem)
    anchors = [cert for pem in pems if pem.strip() for cert in load_pem_certificates(pem)]
    models = list(device_models)

    def sbi_source() -> DeviceSource:  # imported when the manager starts the source: a missing library
        from device_drivers.sbi.source import SbiSource  # switches off this driver only

        return SbiSource(anchors=anchors, ports=sbi_ports, protocol=sbi_protocol)

    sources: dict[str, object] = {"sbi": sbi_source} if anchors else {}
    cameras = []
    if face_camera is not None or document_camera is not None:
        from device_drivers.camera.adapter import OpenCvCamera
        from device_drivers.camera.frame_source import open_frame_source

        for target, modality in ((face_camera, Modality.FACE), (document_camera, Modality.DOCUMENT)):
            if target is not None:
                cameras.append(
                    OpenCvCamera(
                        source_factory=lambda t=target: open_frame_source(t),
                        modality=modality,
                        key=f"camera:{modality.value}:{target}",
                    )
                )
    if cameras:
        sources["camera"] = lambda: DriverListSource("camera", cameras)
    if barcode:
        from device_drivers.barcode import BarcodeReader

        sources["barcode"] = lambda: DriverListSource("barcode", [BarcodeReader()])
    if models:
        from device_drivers.usb_discovery import AllowedModel, UsbScanner, UsbSource

        allowed = [AllowedModel.from_master_data(row) for row in models if row.get("vendor_id") is not None]
        sources["usb"] = lambda: UsbSource(UsbScanner(allowed))
    monitor = HotplugMonitor() if hotplug is True else hotplug or None
    allow = allow_list if allow_list is not None else AllowList(models)
    if document_scanners:

        def sane_source() -> DeviceSource:  # libsane runs in the SANE host process (sane/host.py)
            from device_drivers.sane.remote import release_backend, shared_backend
            from device_drivers.sane.source import SaneSource

            backend = shared_backend()
            try:
                return SaneSource(backend, allow, hotplug=monitor)
            except Exception:
                release_backend(backend)
                raise

        sources["sane"] = sane_source
    if fingerprint_readers:  # libfprint readers that ``allow`` allows; fprint_env: e.g. FP_VIRTUAL_IMAGE

        def fprint_source() -> DeviceSource:
            from device_drivers.fprint.source import FprintSource

            return FprintSource(allow_list=allow, env=fprint_env, hotplug=monitor)

        sources["fprint"] = fprint_source
    return DeviceManager(sources, hotplug=monitor, allow_list=allow)  # type: ignore[arg-type]


__all__ = ["DeviceSource", "build_device_manager"]

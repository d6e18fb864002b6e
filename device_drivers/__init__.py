"""OpenReg device drivers: one small interface per modality and the adapters behind them.

Public API (what client.core uses; everything else is internal):

- ``build_device_manager(trust_anchors_pem=..., device_models=..., sbi_ports=..., face_camera=...,
  document_camera=...)`` -> ``DeviceManager``: ``refresh()`` (discover; returns ``DeviceEvent``s),
  ``subscribe(callback)`` (plugged / unplugged / status events, called on the discovery thread),
  ``start_polling(interval_s)``, ``devices()``, ``unavailable`` ({driver: reason} for drivers switched off
  because an optional library is missing), ``device(Modality.FINGER)`` -> ``ManagedDevice``.
- ``ManagedDevice``: ``info()``, ``capture(bio_subtypes=[...], exceptions=[...], requested_score=,
  timeout_s=)``, ``capture_document(frame_image=None)``, ``decode(image)``, ``scan(frames, timeout_s=)``,
  all returning ``concurrent.futures.Future`` (the work runs on the device's own thread, never the
  caller's); ``start_preview(on_frame)`` -> handle.stop() (on the device's preview thread, beside captures).
- ``device_drivers.preview.PreviewFeed(managed_device)``: the newest preview frame for readers on any
  thread (``take_jpeg()`` never blocks; ``frames(stop=)`` yields each new frame once).
- ``CaptureResult``: modality, bio_subtype (MOSIP names: "Left IndexFinger", "Right Thumb", "Left"/"Right"
  for iris, "" for face), iso_record (ISO/IEC 19794-4/-5/-6 bytes), image_format ("jp2"/"png"/"jpeg"),
  quality (0-100), identity (``DeviceIdentity``: make, model, serial, certification, ...; ``as_dict()``),
  captured_at, duration_s, exception, extra.
- Errors: ``DeviceError`` and subclasses (``DeviceNotFoundError``, ``DeviceBusyError``,
  ``DeviceNotReadyError``, ``DeviceTimeoutError``, ``DeviceDisconnectedError``, ``CaptureFailedError``,
  ``TrustError``, ``DeviceUnavailableError``); ``str(error)`` is an officer-readable message.
- Packets: ``write_cbeff`` / ``read_cbeff`` with ``CbeffEntry``; ``read_iso_record`` (raises
  ``IsoRecordError``).
- Protocols per modality: ``FingerDevice``, ``IrisDevice``, ``FaceDevice``, ``DocumentDevice``,
  ``BarcodeDevice``. Keyboard-wedge barcode scanners need no driver: they type into the focused field.

Simulator (in ``demo.sbi_simulator``, not here): ``openreg devices simulate [--port 4501] [--profile
all|finger|iris|face] [--state-dir DIR]``; trust ``DIR/ca.pem`` as the anchor. Nothing here imports Qt, the
client, the server or the demo.
"""

from __future__ import annotations

from device_drivers.base import (
    BarcodeDevice,
    BarcodeResult,
    CaptureFailedError,
    CaptureResult,
    DeviceBusyError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceIdentity,
    DeviceInfo,
    DeviceNotFoundError,
    DeviceNotReadyError,
    DeviceStatus,
    DeviceTimeoutError,
    DeviceUnavailableError,
    DocumentDevice,
    FaceDevice,
    FingerDevice,
    IrisDevice,
    Modality,
    PreviewFrame,
    TrustError,
)
from device_drivers.composition import build_device_manager
from device_drivers.iso import CbeffEntry, IsoRecordError, read_cbeff, read_iso_record, write_cbeff
from device_drivers.manager import DeviceEvent, DeviceManager, ManagedDevice

__all__ = [
    "BarcodeDevice",
    "BarcodeResult",
    "CaptureFailedError",
    "CaptureResult",
    "CbeffEntry",
    "DeviceBusyError",
    "DeviceDisconnectedError",
    "DeviceError",
    "DeviceEvent",
    "DeviceIdentity",
    "DeviceInfo",
    "DeviceManager",
    "DeviceNotFoundError",
    "DeviceNotReadyError",
    "DeviceStatus",
    "DeviceTimeoutError",
    "DeviceUnavailableError",
    "DocumentDevice",
    "FaceDevice",
    "FingerDevice",
    "IrisDevice",
    "IsoRecordError",
    "ManagedDevice",
    "Modality",
    "PreviewFrame",
    "TrustError",
    "build_device_manager",
    "read_cbeff",
    "read_iso_record",
    "write_cbeff",
]

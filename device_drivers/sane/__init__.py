"""SANE document scanners (flatbed and document feeder) behind ``device_drivers.base.DocumentDevice``.

- ``SaneHostBackend`` (remote.py): the kiosk's side of the SANE host process (host.py), where libsane
  runs so that a wedged backend cannot stop the kiosk; ``shared_backend()`` is the kiosk's one host.
- ``SaneBackend``: libsane in the process that runs it (the host); every libsane call runs on its
  ``device-sane`` thread (thread rule in backend.py). Missing python-sane/libsane:
  ``DeviceUnavailableError``.
- ``SaneSource``: the DeviceManager source (allowed scanners offered, others "not allowed").
- ``SaneScanner``: ``info``, ``capabilities``, ``preview``, ``scan(settings, pages=)``,
  ``capture_document``; pages come back as ``ScannedPage`` (JPEG).
- ``ScanSettings`` / ``settings_from_config``: master-data defaults (config ``devices.document_scanner``).
- Errors (errors.py): ``NoPaperError``, ``PaperJamError``, ``CoverOpenError``, ``ScannerBusyError``,
  ``ScannerUnpluggedError``, ... mapped from SANE status codes.

Nothing here imports python-sane at import time.
"""

from device_drivers.sane.adapter import SaneScanner, ScannedPage, ScannerCapabilities
from device_drivers.sane.backend import SaneBackend, SaneDeviceEntry
from device_drivers.sane.errors import (
    CoverOpenError,
    NoPaperError,
    PaperJamError,
    PreviewNotAvailableError,
    SaneError,
    ScanFailedError,
    ScannerBusyError,
    ScannerUnpluggedError,
    SourceNotAvailableError,
)
from device_drivers.sane.settings import (
    CONFIG_KEY,
    PAGE_SIZES,
    ScanSettings,
    ScanSettingsError,
    settings_from_config,
)
from device_drivers.sane.source import SaneSource

__all__ = [
    "CONFIG_KEY",
    "PAGE_SIZES",
    "CoverOpenError",
    "NoPaperError",
    "PaperJamError",
    "PreviewNotAvailableError",
    "SaneBackend",
    "SaneDeviceEntry",
    "SaneError",
    "SaneScanner",
    "SaneSource",
    "ScanFailedError",
    "ScanSettings",
    "ScanSettingsError",
    "ScannedPage",
    "ScannerBusyError",
    "ScannerCapabilities",
    "ScannerUnpluggedError",
    "SourceNotAvailableError",
    "settings_from_config",
]

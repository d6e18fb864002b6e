"""SANE status codes as the typed device errors of ``device_drivers.base``.

python-sane raises ``_sane.error`` carrying only ``sane_strstatus()``'s text, never the code, so the
code is recovered from that text (libsane's fixed English wording, the same in every backend). Each
error keeps the SANE status name in ``sane_status`` for the log; ``device_error`` is the stable code a
front end words in the officer's language (``no_paper``, ``cover_open``, ``scanner_busy``,
``scanner_unplugged``...).
"""

from __future__ import annotations

from device_drivers.base import (
    CaptureFailedError,
    DeviceBusyError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceNotReadyError,
)

# sane_strstatus() texts (sanei/sane_strstatus.c) -> SANE_Status names.
STATUS_BY_TEXT = {
    "Success": "SANE_STATUS_GOOD",
    "Operation not supported": "SANE_STATUS_UNSUPPORTED",
    "Operation was canceled": "SANE_STATUS_CANCELLED",
    "Operation was cancelled": "SANE_STATUS_CANCELLED",
    "Device busy": "SANE_STATUS_DEVICE_BUSY",
    "Invalid argument": "SANE_STATUS_INVAL",
    "End of file reached": "SANE_STATUS_EOF",
    "Document feeder jammed": "SANE_STATUS_JAMMED",
    "Document feeder out of documents": "SANE_STATUS_NO_DOCS",
    "Scanner cover is open": "SANE_STATUS_COVER_OPEN",
    "Error during device I/O": "SANE_STATUS_IO_ERROR",
    "Out of memory": "SANE_STATUS_NO_MEM",
    "Access to resource has been denied": "SANE_STATUS_ACCESS_DENIED",
    "Lamp not ready, please retry": "SANE_STATUS_WARMING_UP",
    "Scanner mechanism locked for transport": "SANE_STATUS_HW_LOCKED",
}


class SaneError(DeviceError):
    """Base of the scanner's own conditions; ``sane_status`` is the SANE status name ("" if none)."""

    sane_status = ""

    def __init__(self, message: str, *, sane_status: str = "") -> None:
        super().__init__(message)
        self.sane_status = sane_status or type(self).sane_status


class NoPaperError(SaneError, DeviceNotReadyError):
    """The feeder is empty (or the flatbed reports no document)."""

    device_error = "no_paper"


class PaperJamError(SaneError, DeviceNotReadyError):
    device_error = "paper_jam"


class CoverOpenError(SaneError, DeviceNotReadyError):
    device_error = "cover_open"


class ScannerBusyError(SaneError, DeviceBusyError):
    """Another program (or another kiosk window) holds the scanner."""

    device_error = "scanner_busy"


class ScannerWarmingUpError(SaneError, DeviceNotReadyError):
    device_error = "warming_up"


class ScannerLockedError(SaneError, DeviceNotReadyError):
    """The scanner's transport lock is on."""

    device_error = "scanner_locked"


class ScannerAccessDeniedError(SaneError, DeviceNotReadyError):
    """The kiosk's user may not open the scanner (USB permissions: add it to the ``scanner`` group)."""

    device_error = "access_denied"


class ScannerUnpluggedError(SaneError, DeviceDisconnectedError):
    """The scanner stopped answering during the scan: unplugged, switched off or its cable failed."""

    device_error = "scanner_unplugged"


class ScanCancelledError(SaneError, CaptureFailedError):
    device_error = "cancelled"


class ScanFailedError(SaneError, CaptureFailedError):
    """Any other SANE failure (invalid option, out of memory, unsupported, no data)."""

    device_error = "failed"


class SourceNotAvailableError(SaneError, CaptureFailedError):
    """The scanner has no such source (no document feeder, or no flatbed)."""

    device_error = "source_unavailable"


class ScannerStoppedError(SaneError, CaptureFailedError):
    """The SANE host process (device_drivers/sane/host.py) gave no answer in time, or died: it was
    stopped, nothing of the scan is kept, and the next try starts a new host."""

    device_error = "scanner_stopped"


class PreviewNotAvailableError(SaneError, CaptureFailedError):
    """A preview pass needs a flatbed: on a feeder it would feed (and use up) the first sheet."""

    device_error = "preview_unavailable"


_BY_STATUS: dict[str, type[SaneError]] = {
    "SANE_STATUS_NO_DOCS": NoPaperError,
    "SANE_STATUS_JAMMED": PaperJamError,
    "SANE_STATUS_COVER_OPEN": CoverOpenError,
    "SANE_STATUS_DEVICE_BUSY": ScannerBusyError,
    "SANE_STATUS_IO_ERROR": ScannerUnpluggedError,
    "SANE_STATUS_WARMING_UP": ScannerWarmingUpError,
    "SANE_STATUS_HW_LOCKED": ScannerLockedError,
    "SANE_STATUS_ACCESS_DENIED": ScannerAccessDeniedError,
    "SANE_STATUS_CANCELLED": ScanCancelledError,
}


def status_of(exc: BaseException) -> str:
    """The SANE status name behind a python-sane error ("" when the text is not a SANE status)."""
    return STATUS_BY_TEXT.get(str(exc).strip(), "")


def error_for(exc: BaseException, *, during: str, unplugged: bool = False) -> SaneError:
    """The typed error for a python-sane failure ``during`` an action ("open", "scan page 2", ...).

    ``unplugged``: the hot-plug monitor saw the scanner leave, so whatever libsane said (often a
    cancel or an I/O error) the officer is told it was disconnected."""
    status = status_of(exc)
    if unplugged:
        return ScannerUnpluggedError(f"scanner unplugged during {during} ({exc})", sane_status=status)
    kind = _BY_STATUS.get(status, ScanFailedError)
    return kind(f"{during}: {exc}", sane_status=status)

"""SBI error codes mapped to typed errors with messages an officer understands.

Codes follow MOSIP SBI 0.9.5 section "Error codes" (0 success; 1xx device state; 5xx request
validation; 7xx capture). Unknown codes still produce a clear message including the device's text.
"""

from __future__ import annotations

from device_drivers.base import (
    CaptureFailedError,
    DeviceBusyError,
    DeviceError,
    DeviceNotFoundError,
    DeviceNotReadyError,
    DeviceTimeoutError,
    TrustError,
)

MESSAGES: dict[int, tuple[type[DeviceError], str]] = {
    100: (
        DeviceNotReadyError,
        "The device is not registered with the server. Ask an administrator to register it.",
    ),
    101: (CaptureFailedError, "No finger, eye or face was detected. Position the person and try again."),
    102: (CaptureFailedError, "The device had a technical error while extracting the image. Try again."),
    103: (TrustError, "The device reports tampering. Do not use it; call support."),
    104: (DeviceNotReadyError, "The device cannot reach its management server."),
    105: (CaptureFailedError, "The image is rotated or upside down. Reposition and try again."),
    106: (DeviceNotFoundError, "The device was not found. Check that it is plugged in."),
    107: (TrustError, "The device key has expired. The device must be re-registered."),
    108: (TrustError, "The device is missing the domain public key."),
    109: (CaptureFailedError, "The device cannot capture that many fingers or irises at once."),
    110: (DeviceNotReadyError, "The device is not ready yet. Wait a moment and try again."),
    111: (DeviceBusyError, "The device is busy with another capture. Wait and try again."),
    202: (DeviceNotFoundError, "No device is connected. Plug the device in and try again."),
    500: (CaptureFailedError, "The device rejected the request: invalid device id."),
    501: (CaptureFailedError, "The device rejected the request: invalid biometric type."),
    502: (CaptureFailedError, "The device rejected the request: invalid finger or eye name."),
    503: (CaptureFailedError, "The device rejected the request: invalid previous hash."),
    504: (CaptureFailedError, "The device rejected the request: invalid purpose."),
    505: (CaptureFailedError, "The device rejected the request: invalid environment."),
    506: (CaptureFailedError, "The device rejected the request: unsupported specification version."),
    507: (CaptureFailedError, "The device rejected the request: invalid count."),
    700: (DeviceTimeoutError, "The capture timed out. Ask the person to hold still and try again."),
    701: (CaptureFailedError, "The capture failed on the device. Try again."),
}


def error_for_code(code: int | str, info: str = "") -> DeviceError:
    """Build the typed error for an SBI error code (never called for code 0)."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = -1
    cls, message = MESSAGES.get(number, (CaptureFailedError, "The device reported an unknown error."))
    error = cls(f"{message} (device error {code}{': ' + info if info else ''})")
    error.sbi_code = number  # type: ignore[attr-defined]
    return error

"""libfprint failures as the kiosk's typed device errors, with messages an officer understands.

``device_error`` is the stable code a front end words in the officer's language
(``client/ui/strings``: ``device_error.<code>``); ``str(error)`` is the English message for the log.
"""

from __future__ import annotations

from device_drivers.base import (
    CaptureFailedError,
    DeviceBusyError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceNotReadyError,
    DeviceTimeoutError,
)
from device_drivers.finger_match import CannotMatchError


class NoImageError(CaptureFailedError):
    """The reader only matches prints on its own chip (fprintd-style login readers) and gives no image,
    so it cannot capture fingerprints for a registration packet."""

    device_error = "no_image"


class OneFingerError(CaptureFailedError):
    """More fingers were asked of a reader that takes one finger at a time."""

    device_error = "one_finger"


class FingerRetryError(CaptureFailedError):
    """The reader wants the finger placed again; ``device_error`` says why (``finger_retry``,
    ``swipe_too_short``, ``finger_not_centred``, ``remove_finger``)."""

    def __init__(self, message: str, *, kind: str = "finger_retry") -> None:
        super().__init__(message)
        self.device_error = kind


RETRY_MESSAGES = {
    "finger_retry": "The reader could not read the finger. Place it again.",
    "swipe_too_short": "The swipe was too short. Swipe the finger again, slowly and fully.",
    "finger_not_centred": "The finger was not centred on the reader. Place it again, in the middle.",
    "remove_finger": "Lift the finger off the reader, then place it again.",
}


def error_from_host(error: dict, *, reader: str) -> DeviceError:
    """The typed error for the host's ``{"kind", "message"}`` (the message only goes to the log text)."""
    kind = str(error.get("kind", "failed"))
    detail = str(error.get("message", ""))[:300]
    if kind in RETRY_MESSAGES:
        return FingerRetryError(f"{RETRY_MESSAGES[kind]} ({detail})", kind=kind)
    if kind == "removed":
        return DeviceDisconnectedError(
            f"The fingerprint reader {reader} was unplugged during the capture; nothing was kept. "
            "Plug it in again and capture again."
        )
    if kind == "no_image":
        return NoImageError(
            f"The fingerprint reader {reader} only matches prints on its chip and gives no image; "
            "registration needs a reader that captures images."
        )
    if kind == "no_verify":
        return CannotMatchError(f"The fingerprint reader {reader} cannot check fingerprints ({detail}).")
    if kind == "bad_template":
        return CannotMatchError(
            f"The enrolled fingerprint cannot be used with the reader {reader} ({detail}); enrol again."
        )
    if kind == "timeout":
        return DeviceTimeoutError("No finger was placed on the reader in time. Try again.")
    if kind == "cancelled":
        return CaptureFailedError("The capture was cancelled.")
    if kind == "busy":
        return DeviceBusyError("The fingerprint reader is busy with another capture. Wait and try again.")
    if kind == "too_hot":
        return DeviceNotReadyError("The fingerprint reader is too hot. Let it cool down for a minute.")
    return CaptureFailedError(f"The fingerprint reader failed: {detail or 'no reason given'}. Try again.")

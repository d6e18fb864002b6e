"""What the officer reads when a sync, an enrolment, a face photo or a device fails: plain words in
the kiosk's language.

The technical message (exception text, server code) goes to the log and behind a Details button
(:class:`client.ui.widgets.ErrorMessage`), not into the sentence.
An error this table does not know keeps its own text: better precise English than a vague sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from client.core.authentication import AuthError
from client.core.machine import PinnedKeyMismatch
from client.core.settings import ServerNotConfigured
from client.core.sync.enrolment import EnrolmentRejected, ReenrolmentRefused
from client.core.sync.master_data_sync import MasterDataRefused
from client.core.sync.server_keys import ServerKeysRefused
from client.core.sync.tls import InsecureServerUrl
from client.core.sync.transport import ServerRefused, TransportError
from shared.sync import ErrorCode

# Order matters: the first matching type wins.
_BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (ReenrolmentRefused, "setup.reenrol_hint"),
    (InsecureServerUrl, "error.insecure_url"),
    (ServerNotConfigured, "error.no_server"),
    (ServerKeysRefused, "error.keys_refused"),
    (PinnedKeyMismatch, "error.keys_refused"),
    (MasterDataRefused, "error.master_refused"),
    (EnrolmentRejected, "error.kiosk_revoked"),
    (TransportError, "error.offline"),
)
_BY_CODE = {
    ErrorCode.machine_revoked: "error.kiosk_revoked",
    ErrorCode.machine_rejected: "error.kiosk_revoked",
    ErrorCode.machine_pending: "error.kiosk_pending",
}


def error_text(exc: BaseException, t: Callable[..., str], *, server_url: str | None = None) -> str:
    """``exc`` in words for the screen (``t`` is the UI context's translate function); a network failure
    names ``server_url`` when the screen knows it, and says what to check."""
    if isinstance(exc, TransportError) and server_url:
        return t("error.offline_at", url=server_url)
    if isinstance(exc, ServerRefused) and exc.code in _BY_CODE:
        return t(_BY_CODE[exc.code])
    if isinstance(exc, AuthError) and exc.reason:
        words = {k: local_time(v) if isinstance(v, datetime) else v for k, v in exc.details.items()}
        text = t(f"auth.{exc.reason}", **words)
        return text + (f" {t('auth.attempts_left', **words)}" if "remaining" in words else "")
    if codes := face_check_codes(exc):
        return " ".join(t(f"face_check.{code}") for code in codes)
    if isinstance(code := getattr(exc, "sbi_code", None), int):  # device_drivers.sbi.errors.error_for_code
        return f"{sbi_words(code, t)} {t('sbi.code', code=code)}"
    if isinstance(code := getattr(exc, "device_error", None), str):  # client.core.capture / device_drivers
        modality = getattr(exc, "modality", "")
        text = t(f"device_error.{code}", device=t(f"device.{modality}") if modality else "")
        return str(exc) if text == f"device_error.{code}" else text
    for kind, key in _BY_TYPE:
        if isinstance(exc, kind):
            return t(key)
    return str(exc)


def face_check_codes(exc: BaseException) -> list[str]:
    """The failed ICAO-lite checks of a face capture (device_drivers.camera.adapter.FaceCheckError carries
    ``report.failures``), read by attribute so the screens do not import the OpenCV adapter."""
    report = getattr(exc, "report", None)
    return [failure.code for failure in getattr(report, "failures", ())]


def sbi_words(code: int, t: Callable[..., str]) -> str:
    """An SBI device error code in words: 5xx means the device refused the kiosk's request (a software
    matter for support); a code no table knows reads as an unknown device error."""
    key = "sbi.refused" if 500 <= code < 600 else f"sbi.{code}"
    text = t(key)
    return t("sbi.unknown") if text == key else text


def local_time(when: datetime, *, now: datetime | None = None) -> str:
    """``when`` (an aware datetime, such as a lockout's end) on the kiosk's local clock: the time alone
    when it falls today, else with its date."""
    local, today = when.astimezone(), (now or datetime.now().astimezone()).astimezone().date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")

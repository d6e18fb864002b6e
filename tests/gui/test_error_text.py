"""Failures reach the officer as plain words in the kiosk's language, not exception text."""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from client.core import authentication
from client.core.authentication import AuthError, LockedOut
from client.core.capture import NoDevice
from client.core.sync.enrolment import ReenrolmentRefused
from client.core.sync.server_keys import ServerKeysRefused
from client.core.sync.tls import InsecureServerUrl
from client.core.sync.transport import ServerRefused, TransportError
from client.ui.error_text import error_text, local_time
from client.ui.i18n import isolate, tr
from device_drivers.base import DeviceDisconnectedError, DeviceTimeoutError, TrustError
from device_drivers.camera.adapter import FaceCheckError
from device_drivers.camera.face_checks import CheckFailure, FaceCheckReport
from device_drivers.sane.errors import ScannerStoppedError
from device_drivers.sbi.errors import MESSAGES, error_for_code
from shared.sync import ErrorCode

CASES = [
    (TransportError("POST /api/v1/auth/challenge: ConnectionError: Max retries exceeded"), "error.offline"),
    (ServerKeysRefused("key set signed by 3f2a…, not by the pinned key"), "error.keys_refused"),
    (InsecureServerUrl("refusing plain http to 192.0.2.10"), "error.insecure_url"),
    (ReenrolmentRefused("a supervisor must approve"), "setup.reenrol_hint"),
    (ServerRefused("HTTP 403: machine_revoked: …", code=ErrorCode.machine_revoked), "error.kiosk_revoked"),
    (ScannerStoppedError("the SANE host gave no answer to scan in 120 s"), "device_error.scanner_stopped"),
]


@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
@pytest.mark.parametrize(("exc", "key"), CASES)
def test_known_failures_read_as_plain_words_in_every_language(exc, key, language):
    t = functools.partial(tr, language=language)
    text = error_text(exc, t)
    assert text == tr(key, language) and str(exc) not in text
    assert text != tr(key, "eng") or language == "eng"  # really translated, not English again


def test_an_unknown_failure_keeps_its_own_text():
    exc = ServerRefused(
        "HTTP 409: packet_conflict: registered with another hash", code=ErrorCode.packet_conflict
    )
    assert error_text(exc, functools.partial(tr, language="fra")) == str(exc)


@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
def test_a_failed_face_photo_says_what_to_fix_in_the_kiosk_language(language):
    exc = FaceCheckError(FaceCheckReport([CheckFailure("not_centred"), CheckFailure("too_dark")]))
    text = error_text(exc, functools.partial(tr, language=language))
    assert text == f"{tr('face_check.not_centred', language)} {tr('face_check.too_dark', language)}"
    assert "not_centred" not in text and (language == "eng") == ("middle of the frame" in text)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_sbi_device_error_reads_in_the_kiosk_language(code):
    exc = error_for_code(code, "vendor text")
    arabic = error_text(exc, functools.partial(tr, language="ara"))
    assert arabic != error_text(exc, functools.partial(tr, language="eng"))
    assert arabic != f"{tr('sbi.unknown', 'ara')} {tr('sbi.code', 'ara', code=code)}"  # the code is known
    assert str(code) in arabic and "vendor text" not in arabic


def test_an_unknown_sbi_code_still_names_its_number():
    text = error_text(error_for_code(999), functools.partial(tr, language="fra"))
    assert text == "L'appareil a signalé une erreur inconnue. (erreur d'appareil 999)"


def test_every_refused_login_or_approval_reads_in_the_kiosk_language():
    reasons = set(re.findall(r'reason="(\w+)"', Path(authentication.__file__).read_text(encoding="utf-8")))
    assert {"wrong_password", "locked_now", "bad_totp"} <= reasons
    assert [r for r in sorted(reasons) if tr(f"auth.{r}", "eng") == f"auth.{r}"] == []
    until = datetime.now(UTC) + timedelta(minutes=15)
    exc = LockedOut("too many failed attempts", reason="locked_now", user="op1", minutes=15, until=until)
    assert error_text(exc, functools.partial(tr, language="ara")) == (
        f"محاولات فاشلة كثيرة: المستخدم \u2068op1\u2069 مقفل لمدة 15 دقيقة، حتى {isolate(local_time(until))}."
    )


@pytest.fixture
def kolkata_clock(monkeypatch):
    """The kiosk's local time zone is UTC+05:30, so a UTC time cannot pass for a local one."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_lockout_ends_in_local_time_and_a_wrong_password_counts_down(kolkata_clock):
    until = datetime(2026, 5, 1, 9, 15, tzinfo=UTC)
    assert local_time(until, now=until) == "14:45"
    assert local_time(until, now=until + timedelta(days=1)) == "2026-05-01 14:45"
    exc = LockedOut("locked", reason="locked_until", user="op1", until=until)
    text = error_text(exc, functools.partial(tr, language="eng"))
    assert "UTC" not in text and local_time(until) in text
    wrong = AuthError("unknown user or wrong password", reason="wrong_password", remaining=2)
    assert error_text(wrong, functools.partial(tr, language="fra")) == (
        "Utilisateur inconnu ou mot de passe erroné. Tentatives restantes avant le blocage du compte : 2."
    )


DEVICE_FAILURES = [
    (NoDevice("no iris device is connected (sbi: …)", device_error="missing", modality="iris"), "iris"),
    (NoDevice("No barcode decoder is available to scan with.", device_error="no_decoder"), None),
    (NoDevice("The camera is not working: VIDEOIO error", device_error="camera_failed"), None),
    (DeviceTimeoutError("no code within 20.0 s"), None),
    (DeviceDisconnectedError("USB device 1-2 vanished"), None),
    (TrustError("digital id signature does not verify"), None),
]


@pytest.mark.parametrize("language", ["eng", "fra", "ara"])
@pytest.mark.parametrize(("exc", "device"), DEVICE_FAILURES)
def test_device_failures_read_in_the_kiosk_language(exc, device, language):
    """What the capture port and the drivers report (a stable code; English only for the log) reaches the
    officer in words, naming the missing device in the kiosk language."""
    t = functools.partial(tr, language=language)
    text = error_text(exc, t)
    assert text == tr(
        f"device_error.{exc.device_error}", language, device=t(f"device.{device}") if device else ""
    )
    assert str(exc) not in text and "{" not in text
    if device:
        assert tr(f"device.{device}", language) in text
    if language != "eng":
        assert text != error_text(exc, functools.partial(tr, language="eng"))

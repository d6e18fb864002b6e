"""RFC 6238 TOTP for supervisor approval (30 s steps, 6 digits, SHA-1: what authenticator apps use).

pyotp refuses secrets under 112 bits, but the common 80-bit base32 secrets (16 characters, the classic
authenticator-app example and what the demo master data ships) are valid TOTP keys; cryptography's
implementation checks them with ``enforce_key_length=False``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import UTC, datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP_S = 30
DIGITS = 6


def _totp(secret_b32: str) -> TOTP:
    text = secret_b32.strip().replace(" ", "").upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the TOTP secret is not base32") from exc
    return TOTP(key, DIGITS, SHA1(), STEP_S, enforce_key_length=False)


def totp_code(secret_b32: str, *, at: datetime | None = None) -> str:
    """The code an authenticator app shows at ``at`` (default now)."""
    when = (at or datetime.now(UTC)).timestamp()
    return _totp(secret_b32).generate(int(when)).decode()


def verify_totp(secret_b32: str, code: str, *, at: datetime | None = None, window: int = 1) -> bool:
    """True if ``code`` matches the step at ``at`` or ``window`` steps either side (clock drift)."""
    if not code or not code.strip().isdigit():
        return False
    totp = _totp(secret_b32)
    when = int((at or datetime.now(UTC)).timestamp())
    return any(
        hmac.compare_digest(totp.generate(when + step * STEP_S), code.strip().encode())
        for step in range(-window, window + 1)
    )

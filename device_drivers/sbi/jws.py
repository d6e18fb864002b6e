"""Compact JWS (RS256, certificate in the x5c header) signing and verification for SBI.

Verification checks: alg is RS256, the x5c leaf certificate is within its validity period and chains
(through any further x5c certificates) to one of the configured trust anchors, and the RS256
signature over "header.payload" holds. Anchors come from master data in production.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from device_drivers.base import TrustError


class SignatureError(TrustError):
    """A signed SBI block failed verification."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise SignatureError("SBI block is not valid base64url") from exc


def sign_jws(payload: bytes, *, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> str:
    header = {
        "alg": "RS256",
        "typ": "JWT",
        "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()],
    }
    signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(payload)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


def load_pem_certificates(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        issuer.public_key().verify(  # type: ignore[union-attr,call-arg]
            cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
        )
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def verify_jws(
    token: str, *, anchors: list[x509.Certificate], now: datetime | None = None
) -> tuple[bytes, x509.Certificate]:
    """Return (payload, leaf certificate) or raise SignatureError saying what was wrong."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise SignatureError("SBI block is not a signed JWS (expected three dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError("SBI block header lacks a readable x5c device certificate") from exc
    if header.get("alg") != "RS256":
        raise SignatureError(f"SBI block uses algorithm {header.get('alg')!r}; only RS256 is accepted")
    if not chain:
        raise SignatureError("SBI block header has an empty x5c certificate list")
    leaf = chain[0]
    now = now or datetime.now(UTC)
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise SignatureError(
                f"device certificate {cert.subject.rfc4514_string()} is expired or not yet valid"
            )
    # Walk up the chain until a certificate is an anchor or is issued by one.
    trusted = False
    for index, cert in enumerate(chain):
        if any(cert == anchor or _issued_by(cert, anchor) for anchor in anchors):
            trusted = all(_issued_by(chain[i], chain[i + 1]) for i in range(index))
            break
    if not trusted:
        raise SignatureError(
            f"device certificate {leaf.subject.rfc4514_string()} is not issued by a trusted device provider"
        )
    public_key = leaf.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("device certificate key is not RSA")
    try:
        public_key.verify(
            b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise SignatureError(
            "SBI block signature does not match its content (tampered or bad device key)"
        ) from exc
    return b64url_decode(parts[1]), leaf

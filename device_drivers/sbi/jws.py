"""Compact JWS (RS256, certificate in the x5c header) signing and verification for SBI.

Verification checks: alg is RS256; the x5c leaf certificate chains (through any further x5c
certificates) to one of the configured trust anchors under RFC 5280 path validation by
``cryptography.x509.verification`` — every certificate within its validity period, every issuer a CA
(basic constraints CA:TRUE, key usage keyCertSign), path length respected; the leaf itself is no CA and,
if it states a key usage, may sign; and the RS256 signature over "header.payload" holds. Anchors come
from master data in production.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

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


MAX_CHAIN_DEPTH = 4  # device provider root -> (sub-CA ->) device CA -> device: more is not a device chain


def _device_may_sign(_policy: Policy, _cert: x509.Certificate, usage: x509.KeyUsage | None) -> None:
    if usage is not None and not usage.digital_signature:
        raise ValueError("the device certificate's key usage does not allow signing")


def _device_is_not_a_ca(
    _policy: Policy, _cert: x509.Certificate, constraints: x509.BasicConstraints | None
) -> None:
    if constraints is not None and constraints.ca:
        raise ValueError("the device certificate is a CA certificate, not a device's")


def _device_policy() -> ExtensionPolicy:
    # Issuers get the full web-PKI CA profile. Device certificates from real providers carry no SAN or
    # client-auth EKU, so the leaf profile only insists on what matters for signing SBI data.
    return (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _device_may_sign)
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _device_is_not_a_ca)
    )


def verify_chain(chain: list[x509.Certificate], *, anchors: list[x509.Certificate], now: datetime) -> None:
    """Raise SignatureError unless ``chain[0]`` validates to one of ``anchors`` through ``chain[1:]``."""
    leaf = chain[0]
    if not anchors:
        raise SignatureError("no trusted device providers are configured; SBI data cannot be trusted")
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(now)
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_device_policy())
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, chain[1:])
    except VerificationError as exc:
        raise SignatureError(
            f"device certificate {leaf.subject.rfc4514_string()} is not issued by a trusted device provider "
            f"(path validation: {exc})"
        ) from exc


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
    if len(chain) > MAX_CHAIN_DEPTH + 1:
        raise SignatureError(
            f"SBI block header carries {len(chain)} certificates; at most {MAX_CHAIN_DEPTH + 1}"
        )
    leaf = chain[0]
    verify_chain(chain, anchors=anchors, now=now or datetime.now(UTC))
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

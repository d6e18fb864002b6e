"""Ed25519 keys and detached signatures, encoded the same way everywhere.

Public keys travel as standard base64 of the 32 raw bytes; signatures as base64 of
the 64 raw bytes. A key id is the first 16 hex digits of SHA-256 over the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SignatureError(ValueError):
    """A signature or key did not verify or could not be decoded."""


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_bytes(key: Ed25519PrivateKey) -> bytes:
    """The 32-byte raw private key (keep it encrypted at rest)."""
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_from_bytes(raw: bytes) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise SignatureError(f"not a 32-byte Ed25519 private key: {exc}") from exc


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("public key is not base64 of 32 raw Ed25519 bytes") from exc


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey | str) -> str:
    """Short stable identifier of a public key (hex, 16 digits)."""
    b64 = key if isinstance(key, str) else public_key_b64(key)
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()[:16]


def sign_b64(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify_b64(public: Ed25519PublicKey | str, message: bytes, signature_b64: str) -> None:
    """Raise :class:`SignatureError` unless ``signature_b64`` signs ``message`` under ``public``."""
    pub = public_key_from_b64(public) if isinstance(public, str) else public
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("signature is not valid base64") from exc
    try:
        pub.verify(signature, message)
    except InvalidSignature as exc:
        raise SignatureError("signature does not match") from exc

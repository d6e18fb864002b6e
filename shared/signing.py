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


_P = 2**255 - 19
# y coordinates of the eight small-order Ed25519 points (order 1, 2, 4, 8), plus the non-canonical
# encodings y + p that still fit in 255 bits; the sign bit of x is ignored. Same list as libsodium's
# has_small_order. Under such a key a fixed signature verifies for many messages (all-zeros is one).
_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        _P - 1,
        _P,
        _P + 1,
        2707385501144840649318225287225658788936804267575313519463743609750303402022,
        _P - 2707385501144840649318225287225658788936804267575313519463743609750303402022,
    }
)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Decode a public key; refuse anything that is not 32 bytes of a usable (not small-order) point."""
    try:
        raw = base64.b64decode(text, validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise SignatureError("public key is not base64 of 32 raw Ed25519 bytes") from exc
    if int.from_bytes(raw, "little") & ~(1 << 255) in _SMALL_ORDER_Y:
        raise SignatureError("public key is a small-order Ed25519 point (a weak key); make a new key")
    return key


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

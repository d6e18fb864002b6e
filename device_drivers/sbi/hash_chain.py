"""The SBI capture hash chain: each capture's hash covers the previous one (MOSIP SBI spec, "hash")."""

from __future__ import annotations

import hashlib


def sha256_hex(data: bytes) -> str:
    """SHA-256 as upper-case hex, the form SBI puts on the wire."""
    return hashlib.sha256(data).hexdigest().upper()


def chain_hash(previous_hash: str, bio_value: bytes) -> str:
    """SBI capture hash: SHA-256 (hex, upper case) of previousHash + SHA-256-hex of the ISO record."""
    return sha256_hex((previous_hash + sha256_hex(bio_value)).encode())


EMPTY_HASH = sha256_hex(b"")

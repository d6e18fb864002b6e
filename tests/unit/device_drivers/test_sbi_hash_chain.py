"""The SBI capture hash chain: SHA-256(previous hash hex + SHA-256 hex of the ISO record)."""

from __future__ import annotations

import hashlib

from device_drivers.sbi.client import _accepted_hashes
from device_drivers.sbi.hash_chain import EMPTY_HASH, chain_hash


def test_chain_definition_and_both_hex_spellings() -> None:
    record = b"FIR\x00..."
    inner = hashlib.sha256(record).hexdigest().upper()
    first = chain_hash(EMPTY_HASH, record)
    assert first == hashlib.sha256((EMPTY_HASH + inner).encode()).hexdigest().upper()
    assert hashlib.sha256(b"").hexdigest().upper() == EMPTY_HASH
    lower = hashlib.sha256((EMPTY_HASH.lower() + inner.lower()).encode()).hexdigest()
    assert {first, lower} <= _accepted_hashes(EMPTY_HASH, record)
    assert chain_hash(first, b"other") not in _accepted_hashes(EMPTY_HASH, record)

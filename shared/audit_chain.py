"""The hash-chaining rule both audit logs use (kiosk ``client.core.audit``, server ``services.audit``).

An entry's hash is SHA-256 over the previous entry's hash (hex, ASCII) followed by the canonical JSON
of the entry's own fields, so editing, deleting or reordering any entry breaks every link after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.canonical import canonical_json

GENESIS = "0" * 64  # the "previous hash" of the first entry


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """Hex SHA-256 of ``prev_hash`` + canonical JSON of ``fields`` (the entry without its hashes)."""
    return hashlib.sha256(prev_hash.encode() + canonical_json(dict(fields))).hexdigest()


@dataclass(frozen=True)
class AuditVerdict:
    """What a walk of the chain found: ``ok`` and the count, or the first broken seq and why."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str | None = None


def walk_chain(entries: Iterable[tuple[int, str, str, Mapping[str, Any]]]) -> tuple[AuditVerdict, str]:
    """Check ``(seq, prev_hash, hash, fields)`` entries in seq order (seqs from 1, no gaps); return the
    verdict and the hash of the last good entry (GENESIS for none)."""
    prev, expected, count = GENESIS, 1, 0
    for seq, prev_hash, digest, fields in entries:
        count += 1
        if seq != expected:
            return AuditVerdict(False, count, expected, f"entry {expected} is missing"), prev
        if prev_hash != prev:
            return AuditVerdict(False, count, seq, "link to the previous entry does not match"), prev
        if chain_hash(prev, fields) != digest:
            return AuditVerdict(False, count, seq, "entry content does not match its hash"), prev
        prev, expected = digest, seq + 1
    return AuditVerdict(True, count), prev

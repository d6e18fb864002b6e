"""The hash-chaining rule both audit logs use (kiosk ``client.core.audit``, server ``services.audit``).

An entry's hash is SHA-256 over the previous entry's hash (hex, ASCII) followed by the canonical JSON
of the entry's own fields, so editing, deleting or reordering any entry breaks every link after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from shared.canonical import canonical_json

GENESIS = "0" * 64  # the "previous hash" of the first entry


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """Hex SHA-256 of ``prev_hash`` + canonical JSON of ``fields`` (the entry without its hashes)."""
    return hashlib.sha256(prev_hash.encode() + canonical_json(dict(fields))).hexdigest()

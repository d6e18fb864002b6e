"""Append-only, hash-chained audit log of officer and supervisor actions.

Each entry's hash is SHA-256 over the previous hash and the canonical JSON of the entry, so editing,
deleting or reordering any row breaks the chain from that row on; :func:`verify_audit_chain` names the
first broken link. Entries are written inside the caller's transaction so an action and its audit record
commit together.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from shared.audit_chain import GENESIS, AuditVerdict, chain_hash, walk_chain
from shared.canonical import canonical_json


def _entry_hash(prev_hash: str, *, seq: int, at: str, actor: str | None, action: str, details: str) -> str:
    return chain_hash(prev_hash, {"seq": seq, "at": at, "actor": actor, "action": action, "details": details})


def append_audit(
    conn: Connection, *, actor: str | None, action: str, details: dict[str, Any] | None = None
) -> int:
    """Add one entry (in ``conn``'s transaction) and return its sequence number."""
    last = conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    details_text = canonical_json(details or {}).decode()
    digest = _entry_hash(prev, seq=seq, at=at, actor=actor, action=action, details=details_text)
    conn.execute(
        text("INSERT INTO audit_log VALUES (:seq, :at, :actor, :action, :details, :prev, :hash)"),
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "details": details_text,
            "prev": prev,
            "hash": digest,
        },
    )
    return seq


def verify_audit_chain(conn: Connection) -> AuditVerdict:
    """Walk the chain from the start; report the first entry whose link or hash does not hold."""
    rows = conn.execute(
        text("SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq")
    )
    fields = ("seq", "at", "actor", "action", "details")
    return walk_chain((r[0], r[5], r[6], dict(zip(fields, r[:5], strict=True))) for r in rows)[0]


def audit_entries(conn: Connection, *, since_seq: int = 0) -> list[dict[str, Any]]:
    """Entries after ``since_seq`` as dicts (what goes into a packet's audit.json)."""
    rows = conn.execute(
        text("SELECT seq, at, actor, action, details, hash FROM audit_log WHERE seq > :s ORDER BY seq"),
        {"s": since_seq},
    )
    return [
        {"seq": r[0], "at": r[1], "actor": r[2], "action": r[3], "details": json.loads(r[4]), "hash": r[5]}
        for r in rows
    ]

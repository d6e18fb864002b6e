"""The server's admin audit log: append-only, hash-chained, written in the action's own transaction.

Every admin action (machine decisions, master-data imports and the user changes in them, reprocessing,
identity reads, data-key and packet-key rotation) calls :func:`append_audit` on the connection or session that does
the action, so the action and its trace commit or roll back together. The hashing rule is the kiosk's
(``shared.audit_chain``). Appenders first update the one-row head table (``server_audit_head``): on
PostgreSQL that row lock queues concurrent appenders, on SQLite the write lock does, so two writers can
never both extend the same entry and fork the chain. :func:`verify_chain` names the first broken seq.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from shared.audit_chain import GENESIS, AuditVerdict, chain_hash, walk_chain
from shared.canonical import canonical_json
from sync_server.db.tables import AuditEntryRow, AuditHeadRow
from sync_server.services.clock import utcnow

_log = AuditEntryRow.__table__
_head = AuditHeadRow.__table__
_HEAD_ID = 1
MAX_DETAILS_BYTES = 65536  # details are bounded server-made summaries; a bigger one is a bug
MAX_LIST = 1000


class AuditEntryPublic(BaseModel):
    """One audit entry as the admin API and CLI show it."""

    seq: int
    at: str
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


def cli_actor() -> str:
    """The actor of an ``openreg admin`` command: the operating-system user who ran it."""
    return f"cli:{getpass.getuser()}"


def _fields(seq: int, at: str, actor: str, action: str, target: str | None, details: str) -> dict[str, Any]:
    return {"seq": seq, "at": at, "actor": actor, "action": action, "target": target, "details": details}


def _connection(bind: Connection | Session) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


def append_audit(
    bind: Connection | Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry in ``bind``'s transaction and return its seq. ``actor`` names who acted
    (an admin user id, ``cli:<os user>`` or ``system:<what>``)."""
    if not actor or len(actor) > 128 or not action or len(action) > 64:
        raise ValueError("audit actor (1-128 chars) and action (1-64 chars) are required")
    details_text = canonical_json(dict(details or {})).decode()
    if len(details_text.encode()) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details are limited to {MAX_DETAILS_BYTES} bytes")
    target = target[:200] if target else target
    conn = _connection(bind)
    # Write first, read second: the UPDATE takes the head row's lock (PostgreSQL) or the database
    # write lock (SQLite) before we read the previous hash, so a concurrent appender waits here.
    locked = conn.execute(update(_head).where(_head.c.id == _HEAD_ID).values(seq=_head.c.seq + 1)).rowcount
    if not locked:  # a database made by create_all (tests, tools) has no head row yet
        conn.execute(insert(_head).values(id=_HEAD_ID, seq=1, hash=GENESIS))
    seq, prev = conn.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == _HEAD_ID)).one()
    at = utcnow().isoformat(timespec="microseconds")
    digest = chain_hash(prev, _fields(seq, at, actor, action, target, details_text))
    conn.execute(
        insert(_log).values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=details_text,
            prev_hash=prev,
            hash=digest,
        )
    )
    conn.execute(update(_head).where(_head.c.id == _HEAD_ID).values(hash=digest))
    return seq


def lock_audit_log(bind: Connection | Session) -> None:
    """Take the audit log's write lock in ``bind``'s transaction now (the head row on PostgreSQL, the
    database on SQLite), before an action outside the database that must not happen unaudited: a busy
    or unreachable database then fails before the action, not after it."""
    _connection(bind).execute(update(_head).where(_head.c.id == _HEAD_ID).values(seq=_head.c.seq))


def verify_chain(bind: Connection | Session) -> AuditVerdict:
    """Walk the log in seq order; the first entry whose seq, link or hash does not hold fails it.
    A head row pointing past the last entry means entries were cut off the end."""
    conn = _connection(bind)
    rows = conn.execution_options(yield_per=1000).execute(select(_log).order_by(_log.c.seq))
    verdict, last = walk_chain(
        (r.seq, r.prev_hash, r.hash, _fields(r.seq, r.at, r.actor, r.action, r.target, r.details))
        for r in rows
    )
    if not verdict.ok:
        return verdict
    head = conn.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == _HEAD_ID)).first()
    if head is not None and (head.seq, head.hash) != (verdict.entries, last):
        return AuditVerdict(
            False,
            verdict.entries,
            verdict.entries + 1,
            f"the head names entry {head.seq}; the log ends before",
        )
    return verdict


def list_entries(
    bind: Connection | Session, *, limit: int = 100, before_seq: int | None = None
) -> list[AuditEntryPublic]:
    """The newest ``limit`` entries (at most ``MAX_LIST``), newest first; ``before_seq`` pages back."""
    query = select(_log).order_by(_log.c.seq.desc()).limit(max(1, min(limit, MAX_LIST)))
    if before_seq is not None:
        query = query.where(_log.c.seq < before_seq)
    return [to_public(r) for r in _connection(bind).execute(query)]


def to_public(row: Any) -> AuditEntryPublic:
    """One stored entry as the API and the console show it (details parsed back from their JSON)."""
    return AuditEntryPublic(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )

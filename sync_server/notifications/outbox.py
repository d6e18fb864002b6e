"""The outbox: enqueue in the caller's transaction, claim due rows, record what sending did.

``enqueue`` runs on the caller's connection, inside the processing worker's transaction that stores
the packet outcome, so an outcome and its notifications commit together or not at all. The unique
(rid, event, channel) makes it idempotent: a packet processed twice notifies once.

Claiming is one UPDATE that sets a fresh ``claim_token`` on due rows picked by a CTE and re-checks
that they are still due (the compare-and-set of ``sync_server/processing/queue.py`` in one
statement); on PostgreSQL the pick uses ``FOR UPDATE SKIP LOCKED`` so concurrent senders skip each
other's rows, on SQLite the statement takes the write lock at once. A claim pushes
``next_attempt_at`` to the end of a lease; a sender that dies mid-send leaves the row ``pending`` and
it is due again when the lease ends (delivery is at least once: the message may then go out twice,
and its reference lets the receiving side tell). Finishing checks the token, so a sender whose lease
lapsed cannot overwrite the new owner's result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sync_server.notifications.events import ChannelName, Contact, Event, check_language, check_values
from sync_server.notifications.sealing import Sealer, row_aad, seal_payload
from sync_server.notifications.tables import MAX_ERROR_CHARS, notification_outbox
from sync_server.services.clock import aware, utcnow

CHANNELS: tuple[str, ...] = tuple(ChannelName)
t = notification_outbox


@dataclass(frozen=True)
class Claimed:
    """One row a sender now owns until ``lease_until``; ``attempt`` counts from 1."""

    id: int
    token: str
    rid: str
    event: str
    channel: str
    language: str
    key_id: str
    payload: bytes = field(repr=False)
    attempt: int


def enqueue(
    conn: Connection,
    *,
    rid: str,
    event: Event | str,
    language: str,
    contact: Contact,
    values: Mapping[str, Any] | None = None,
    sealer: Sealer,
    channels: Collection[str] = CHANNELS,
    now: dt.datetime | None = None,
) -> int:
    """Add one row per channel the contact has (among ``channels``) on ``conn``, in the caller's
    transaction; returns how many were new. Raises ValueError (``ValuesInvalid``) for bad values;
    ``contact`` is already valid (``Contact`` checks itself). No address, no row."""
    event = Event(event)
    language = check_language(language)
    checked = check_values(rid, values)
    added = 0
    for channel, address in contact.addresses().items():
        if channel not in channels:
            continue
        aad = row_aad(rid, event, channel)
        key_id, payload = seal_payload(sealer, aad=aad, to=address, values=checked)
        created = now or utcnow()
        row = {
            "rid": rid,
            "event": str(event),
            "channel": str(channel),
            "language": language,
            "key_id": key_id,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": created,
            "created_at": created,
        }
        added += _insert_once(conn, row)
    return added


def _insert_once(conn: Connection, row: dict[str, Any]) -> int:
    # An IntegrityError would abort the caller's whole transaction on PostgreSQL: skip duplicates
    # in the statement itself (or, on another database, inside a savepoint).
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = make(t).values(**row).on_conflict_do_nothing(index_elements=["rid", "event", "channel"])
        return len(conn.execute(statement.returning(t.c.id)).all())  # (rowcount is -1 on psycopg)
    exists = select(t.c.id).where(
        t.c.rid == row["rid"], t.c.event == row["event"], t.c.channel == row["channel"]
    )
    if conn.execute(exists).first() is not None:
        return 0
    with conn.begin_nested():
        conn.execute(insert(t).values(**row))
    return 1


def claim_due(
    engine: Engine,
    *,
    channels: Collection[str],
    limit: int,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due rows of ``channels`` for ``lease``; rows another sender took first
    are skipped. Each claim counts as an attempt.

    One UPDATE statement does it, so on SQLite it takes the write lock at once (a read-then-write
    transaction can fail on a snapshot another writer moved past); its WHERE repeats the due test,
    so a row another sender took between the pick and the write is left alone."""
    now = now or utcnow()
    due = (t.c.status == "pending", t.c.next_attempt_at <= now, t.c.channel.in_(list(channels)))
    pick = (
        select(t.c.id)
        .where(*due)
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(max(1, limit))
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent senders skip each other's rows
    )
    # A CTE, not ``id IN (subquery)``: PostgreSQL may run such a subquery more than once, and with
    # SKIP LOCKED each run would pick further rows (a batch larger than ``limit``).
    picked = pick.cte("picked")
    token = uuid.uuid4().hex
    take = (
        update(t)
        .where(t.c.id == picked.c.id, *due)
        .values(claim_token=token, next_attempt_at=now + lease, attempts=t.c.attempts + 1)
    )
    fields = (t.c.id, t.c.rid, t.c.event, t.c.channel, t.c.language, t.c.key_id, t.c.payload, t.c.attempts)
    with engine.begin() as conn:
        conn.execute(take)
        rows = conn.execute(select(*fields).where(t.c.claim_token == token).order_by(t.c.id)).mappings().all()
    return [
        Claimed(token=token, attempt=row["attempts"], **{k: row[k] for k in row if k != "attempts"})
        for row in rows
    ]


def _owned(claim: Claimed) -> Any:
    return (t.c.id == claim.id, t.c.claim_token == claim.token, t.c.status == "pending")


def mark_sent(engine: Engine, claim: Claimed, *, now: dt.datetime | None = None) -> bool:
    """The message went out: keep no personal data. False if the claim was lost meanwhile."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(t)
            .where(*_owned(claim))
            .values(status="sent", sent_at=now or utcnow(), payload=b"", claim_token=None, last_error=None)
        ).rowcount
    return changed == 1


def mark_unsent(engine: Engine, claim: Claimed, *, error: str, retry_at: dt.datetime | None) -> bool:
    """The attempt failed: try again at ``retry_at``, or (None) give up with status ``failed``."""
    values: dict[str, Any] = {"claim_token": None, "last_error": bound_error(error)}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    with engine.begin() as conn:
        return conn.execute(update(t).where(*_owned(claim)).values(**values)).rowcount == 1


def bound_error(error: str) -> str:
    text = " ".join(error.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def retry_failed(engine: Engine, *, rid: str | None = None, now: dt.datetime | None = None) -> int:
    """Admin: put failed rows (of one RID, or all) back to pending now, e.g. after fixing the SMTP
    settings; returns how many."""
    condition = [t.c.status == "failed"] + ([t.c.rid == rid] if rid else [])
    with engine.begin() as conn:
        return conn.execute(
            update(t).where(*condition).values(status="pending", attempts=0, next_attempt_at=now or utcnow())
        ).rowcount


def counts(engine: Engine) -> dict[str, int]:
    """Rows per status (pending, sent, failed), for the dashboard and metrics."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
    return {status: int(count) for status, count in rows}


def rows_for(conn: Connection, rid: str) -> list[dict[str, Any]]:
    """The outbox rows of one RID without their sealed payload (status pages, tests)."""
    columns = [c for c in t.c if c.name not in ("payload", "claim_token")]
    rows = conn.execute(select(*columns).where(t.c.rid == rid).order_by(t.c.id)).mappings().all()
    out = []
    for row in rows:
        item = dict(row)
        for key in ("next_attempt_at", "created_at", "sent_at"):
            item[key] = aware(item[key]) if item[key] is not None else None
        out.append(item)
    return out

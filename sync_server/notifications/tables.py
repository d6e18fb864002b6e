"""The notification outbox: one row per (RID, event, channel), written in the transaction that stores a
packet's outcome and emptied by the sender.

Declared with SQLAlchemy Core on its own ``MetaData``; an Alembic revision in sync_server's migrations
creates it (tests build it with ``create_all`` on throwaway databases only).

Personal data stays sealed: the recipient's address and the message values (a name, a UIN) are one
ciphertext under the server data key ``key_id`` (see ``sealing.py``), bound to the row by its RID,
event and channel. Once a message is sent the ciphertext is emptied: a sent row keeps only what
operations need (RID, event, channel, status, times).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

MAX_ERROR_CHARS = 500

# status: pending -> sent | pending (retry later) -> ... -> failed (gave up, or refused for good).
# A claimed row stays ``pending`` with ``claim_token`` set and ``next_attempt_at`` pushed to the end of
# its lease: if the sender dies mid-send, the row is simply due again once the lease has passed.
notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rid", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("channel", String(16), nullable=False),  # email | sms
    Column("language", String(16), nullable=False),
    Column("key_id", String(32), nullable=False),  # the data key that sealed ``payload``
    Column("payload", LargeBinary, nullable=False),  # sealed {"to": ..., "values": {...}}; b"" once sent
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claim_token", String(32)),
    Column("last_error", String(MAX_ERROR_CHARS)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("rid", "event", "channel", name="uq_notification_outbox_rid_event_channel"),
)
Index("ix_notification_outbox_due", notification_outbox.c.status, notification_outbox.c.next_attempt_at)

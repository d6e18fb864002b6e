"""The ABIS request queue: one row per request to the ABIS, from queued to answered.

Declared with SQLAlchemy Core on its own ``MetaData``; the lead's Alembic revision creates it (tests use
``create_all`` on throwaway databases). ``payload`` holds the CBEFF document while the request waits and
is cleared once the ABIS has answered, so biometrics do not stay in the queue.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

# status: pending -> sent -> answered | failed; sent -> pending again (retry) when the ABIS is down
abis_requests = Table(
    "abis_requests",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # delivery order (MOSIP: FIFO)
    Column("request_id", String(64), nullable=False, unique=True),
    Column("action", String(16), nullable=False),  # insert | identify | delete
    Column("reference_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),  # a dispatcher holds a sent row until then
    Column("claim_token", String(64)),
    Column("answered_at", DateTime(timezone=True)),
    Column("gallery", JSON),  # identify: list of reference ids, or null for everyone
    Column("max_results", Integer),
    Column("payload", LargeBinary),  # CBEFF XML of the records; null once answered
    Column("response", JSON),  # the ABIS's answer, bounded (candidates <= MAX_RESULTS)
    Column("last_error", Text),
)
Index("ix_abis_requests_open", abis_requests.c.status, abis_requests.c.seq)

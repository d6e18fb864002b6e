"""Processing tables: the work queue (one row per received packet) and the stage history.

Declared with SQLAlchemy Core on their own ``MetaData``; the Alembic revision in sync_server's
migrations creates them (tests build them with ``create_all`` on throwaway databases only).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# status: queued -> running -> processed | rejected | retry (-> running ...) | failed (gave up)
processing_jobs = Table(
    "processing_jobs",
    metadata,
    Column("rid", String(64), primary_key=True),
    Column("status", String(16), nullable=False, index=True),
    Column("stage", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claim_token", String(64)),
    Column("claimed_by", String(128)),
    Column("lease_until", DateTime(timezone=True)),
    Column("reason_code", String(64)),
    Column("reason_text", Text),
    Column("uin", String(32)),
    Column("center_id", String(16)),
    Column("machine_id", String(16)),
    Column("operator_id", String(64)),
    Column("enqueued_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("info", JSON, nullable=False, default=dict),
    Column("flow", String(16)),  # new | update | lost | correction, from the packet's meta
    # The resident's status check (``resident_check``): a keyed hash of the date of birth under the
    # data key ``resident_key_id``, and the language the resident reads; set by the validate stage.
    Column("resident_check", String(64)),
    Column("resident_key_id", String(32)),
    Column("resident_language", String(16)),
)
Index("ix_processing_jobs_due", processing_jobs.c.status, processing_jobs.c.next_attempt_at)

stage_records = Table(
    "processing_stage_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rid", String(64), nullable=False, index=True),
    Column("stage", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

# A packet a person must decide on (the dedupe stage found possible duplicates; an update could not
# be authenticated by biometrics; a lost request matched several people). ``candidates``:
# [{"uin", "rid", "scores": {"total", "name", "date", "location", "biometric"?}}], best first.
adjudications = Table(
    "processing_adjudications",
    metadata,
    Column("rid", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # duplicate | update | lost
    Column("candidates", JSON, nullable=False, default=list),
    Column("status", String(16), nullable=False, index=True),  # pending | decided
    Column("created_at", DateTime(timezone=True), nullable=False),
    # same (reject as duplicate) | merge (same person: apply as an update of ``uin``) | different
    # (continue to a new UIN) | approve / refuse (an update's authentication) | found (lost: ``uin``)
    Column("decision", String(16)),
    Column("uin", String(32)),
    Column("reason", Text),
    Column("decided_by", String(128)),
    Column("decided_at", DateTime(timezone=True)),
)

# A correction packet (``answer_rid``) that answers the request for more information on a held one.
corrections = Table(
    "processing_corrections",
    metadata,
    Column("held_rid", String(64), primary_key=True),
    Column("answer_rid", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

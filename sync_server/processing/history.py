"""Reads of one packet's processing for the console and the admin API: its queue row and the stage
history, every attempt of every stage in the order they ran."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from sync_server.processing.queue import aware, job_state
from sync_server.processing.tables import stage_records

# One attempt of a stage is one row; a packet retried many times is still a few hundred rows at most.
MAX_RECORDS = 1000


@dataclass(frozen=True)
class StageAttempt:
    """One stage attempt as the history records it (times are timezone-aware UTC)."""

    stage: str
    attempt: int
    started_at: datetime
    ended_at: datetime
    outcome: str
    detail: str


def job_row(conn: Connection, rid: str) -> dict[str, Any] | None:
    """The queue row of ``rid`` (status, stage, attempts, reason, uin, times), or None if not queued;
    without the worker's claim token and the packet's info."""
    job = job_state(conn, rid)
    return {k: v for k, v in job.items() if k not in ("claim_token", "info")} if job else None


def stage_timeline(conn: Connection, rid: str) -> list[StageAttempt]:
    """Every recorded stage attempt of ``rid``, oldest first."""
    query = (
        select(stage_records)
        .where(stage_records.c.rid == rid)
        .order_by(stage_records.c.started_at, stage_records.c.id)
        .limit(MAX_RECORDS)
    )
    return [
        StageAttempt(
            stage=r.stage,
            attempt=r.attempt,
            started_at=aware(r.started_at),
            ended_at=aware(r.ended_at),
            outcome=r.outcome,
            detail=r.detail,
        )
        for r in conn.execute(query)
    ]

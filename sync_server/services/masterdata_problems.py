"""Kiosk reports of master-data changes they could not apply: stored once per (machine, change), read
by admins (API route and ``openreg admin masterdata problems``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.sync.problems import MasterDataProblem, MasterDataProblemPublic, MasterDataProblemsStored
from sync_server.db.tables import MasterDataProblemRow
from sync_server.services.clock import aware, utcnow

# A kiosk stores at most this many reports; a faulty or hostile one cannot fill the database.
MAX_PER_MACHINE = 1000


def record_problems(
    session: Session, *, machine_id: str, center_id: str | None, problems: list[MasterDataProblem]
) -> MasterDataProblemsStored:
    """Keep new reports in the caller's transaction; a retried report is a duplicate, not a new row."""
    held = session.scalar(
        select(func.count())
        .select_from(MasterDataProblemRow)
        .where(MasterDataProblemRow.machine_id == machine_id)
    )
    room = max(0, MAX_PER_MACHINE - (held or 0))
    kept, dropped = problems[:room], problems[room:]
    now = utcnow()
    rows = [
        dict(
            machine_id=machine_id,
            center_id=center_id,
            seq=p.seq,
            entity=p.entity,
            entity_id=p.id,
            reason=p.reason,
            seen_at=p.seen_at,
            received_at=now,
        )
        for p in kept
    ]
    stored = 0
    if rows:
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(MasterDataProblemRow)
        for row in rows:  # at most MAX_PROBLEMS_PER_REPORT rows
            # RETURNING says whether the row went in (rowcount is -1 here on PostgreSQL).
            inserted = session.execute(
                insert.values(**row)
                .on_conflict_do_nothing(index_elements=["machine_id", "seq", "entity", "entity_id"])
                .returning(MasterDataProblemRow.id)
            ).first()
            stored += inserted is not None
    return MasterDataProblemsStored(stored=stored, duplicates=len(kept) - stored, dropped=len(dropped))


def list_problems(
    session: Session, *, machine_id: str | None = None, limit: int = 100
) -> list[MasterDataProblemPublic]:
    """Newest reports first."""
    query = select(MasterDataProblemRow).order_by(MasterDataProblemRow.id.desc()).limit(limit)
    if machine_id:
        query = query.where(MasterDataProblemRow.machine_id == machine_id)
    return [
        MasterDataProblemPublic(
            machine_id=r.machine_id,
            center_id=r.center_id,
            seq=r.seq,
            entity=r.entity,
            id=r.entity_id,
            reason=r.reason,
            seen_at=aware(r.seen_at),
            received_at=aware(r.received_at),
        )
        for r in session.scalars(query)
    ]

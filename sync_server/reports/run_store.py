"""Reads and writes of run records (runs, artifacts, validations, deliveries) shared by the service,
the API and the console. Plain dicts out; every call uses its own connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from sync_server.reports.artifacts import Artifact
from sync_server.reports.tables import (
    report_artifacts,
    report_deliveries,
    report_run_events,
    report_runs,
    report_validation_results,
)
from sync_server.services.clock import utcnow

INTERRUPTED = "interrupted: the run made no progress for {minutes} minutes (the server running it stopped)"


def _all(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def runs(
    engine: Engine, definition_id: str | None = None, *, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    query = select(report_runs).order_by(report_runs.c.id.desc()).limit(limit).offset(offset)
    if definition_id:
        query = query.where(report_runs.c.definition_id == definition_id)
    return _all(engine, query)


def run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    found = _all(engine, select(report_runs).where(report_runs.c.id == run_id))
    return found[0] if found else None


def artifacts(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    return _all(
        engine,
        select(report_artifacts).where(report_artifacts.c.run_id == run_id).order_by(report_artifacts.c.id),
    )


def validations(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    query = select(report_validation_results).where(report_validation_results.c.run_id == run_id)
    return _all(engine, query.order_by(report_validation_results.c.id))


def deliveries(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    query = select(report_deliveries).where(report_deliveries.c.run_id == run_id)
    return _all(engine, query.order_by(report_deliveries.c.id))


def add_artifacts(engine: Engine, run_id: int, written: Sequence[Artifact]) -> None:
    with engine.begin() as conn:
        for artifact in written:
            conn.execute(
                insert(report_artifacts).values(
                    run_id=run_id,
                    format=artifact.format,
                    path=str(artifact.path),
                    sha256=artifact.sha256,
                    size=artifact.size,
                    delivered=[],
                )
            )


def mark_delivered(engine: Engine, artifact_id: int, places: Sequence[str]) -> None:
    with engine.begin() as conn:
        current = conn.execute(
            select(report_artifacts.c.delivered).where(report_artifacts.c.id == artifact_id)
        ).scalar_one()
        conn.execute(
            update(report_artifacts)
            .where(report_artifacts.c.id == artifact_id)
            .values(delivered=[*current, *(p for p in places if p not in current)])
        )


def fail_stale_runs(engine: Engine, out_dir: Path, *, quiet_for: dt.timedelta) -> list[int]:
    """Mark ``running`` runs with no event (or start) for ``quiet_for`` as failed, and remove the
    half-written files they left (``.<name>.part``): a server killed mid-run leaves its run row
    claimed, and nothing else would ever end it. Returns the runs ended."""
    cutoff = utcnow() - quiet_for
    last_event = (
        select(report_run_events.c.run_id, func.max(report_run_events.c.at).label("at"))
        .group_by(report_run_events.c.run_id)
        .subquery()
    )
    query = (
        select(report_runs.c.id, report_runs.c.definition_id, report_runs.c.started_at, last_event.c.at)
        .outerjoin(last_event, last_event.c.run_id == report_runs.c.id)
        .where(report_runs.c.status == "running")
    )
    ended = []
    with engine.begin() as conn:
        for run_id, definition_id, started_at, last_at in conn.execute(query).all():
            seen = max(filter(None, [_aware(started_at), _aware(last_at)]))
            if seen >= cutoff:
                continue
            error = INTERRUPTED.format(minutes=int(quiet_for.total_seconds() // 60))
            done = conn.execute(
                update(report_runs)
                .where(report_runs.c.id == run_id, report_runs.c.status == "running")
                .values(status="failed", ended_at=utcnow(), error=error)
            )
            if done.rowcount:
                conn.execute(
                    insert(report_run_events).values(
                        run_id=run_id, at=utcnow(), stage="run", level="error", message=error
                    )
                )
                ended.append((run_id, definition_id))
    for run_id, definition_id in ended:
        for leftover in (out_dir / definition_id).glob(f".*-run{run_id}.*.part"):
            leftover.unlink(missing_ok=True)
    return [run_id for run_id, _ in ended]


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment

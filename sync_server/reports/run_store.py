"""Reads and writes of run records (runs, artifacts, validations, deliveries) shared by the service,
the API and the console. Plain dicts out; every call uses its own connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, select, update

from sync_server.reports.artifacts import Artifact
from sync_server.reports.tables import (
    report_artifacts,
    report_deliveries,
    report_runs,
    report_validation_results,
)


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

"""The versions a MOSIP conversion takes when imported: one past what the server holds, so the kiosks
lay the converted form on the converted schema (each kiosk uses the newest UI spec of each process)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.db.tables import CurrentRow


def _version(data: object) -> int:
    value = data.get("version") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def next_versions(
    session: Session, *, schema_id: str, spec_ids: dict[str, str]
) -> tuple[int, dict[str, int]]:
    """(schema version, flow -> spec version): the stored ``schema_id`` row's version + 1, and for each
    flow one past every stored UI spec of that flow and the stored row of its own id."""
    schema = session.scalar(
        select(CurrentRow.data).where(CurrentRow.entity == "id_schema", CurrentRow.entity_id == schema_id)
    )
    specs = session.execute(
        select(CurrentRow.entity_id, CurrentRow.data).where(CurrentRow.entity == "ui_spec")
    ).all()
    versions: dict[str, int] = {}
    for flow, spec_id in spec_ids.items():
        newest = 0
        for entity_id, data in specs:
            body = data.get("spec") if isinstance(data, dict) else None
            same_flow = isinstance(body, dict) and body.get("flow", "new") == flow
            if same_flow or entity_id == spec_id:
                newest = max(newest, _version(data))
        versions[flow] = newest + 1
    return _version(schema) + 1, versions

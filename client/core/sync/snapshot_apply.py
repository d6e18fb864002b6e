"""Loading a verified master-data snapshot into the kiosk store: the one way both a network sync
(``master_data_sync``) and an acknowledgement from a stick (``client.core.media.master_data_bundle``)
take a snapshot in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from client.core.audit import append_audit
from client.core.master_data import bulk_load
from client.core.master_data_checks import sort_out
from client.core.sync.master_data_problems import record_skipped


def apply_snapshot(conn: Connection, entities: Mapping[str, Any], *, cursor: int) -> tuple[Counter[str], int]:
    """Load the snapshot's rows in the caller's transaction (rows this kiosk cannot take are set aside
    and recorded, as for changes) and audit it; returns the rows loaded per entity and how many were set
    aside. Raises ``client.core.master_data.MasterDataError`` when the data cannot be taken at all (the
    caller rolls back). The cursor setting is the caller's to write."""
    rows_as_changes = [
        {
            "entity": entity,
            "id": row.get("id") if isinstance(row, dict) else None,
            "op": "upsert",
            "data": row,
        }
        for entity, rows in entities.items()
        for row in (rows if isinstance(rows, list) else [None])
    ]
    good, skipped = sort_out(conn, rows_as_changes, seq=cursor)
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for change in good:
        by_entity.setdefault(change["entity"], []).append(change["data"])
    counts: Counter[str] = Counter()
    for entity, rows in by_entity.items():
        counts[entity] += bulk_load(conn, entity, rows)
    record_skipped(conn, skipped)
    append_audit(
        conn,
        actor=None,
        action="masterdata.snapshot",
        details={"cursor": cursor, "rows": sum(counts.values()), "skipped": len(skipped)},
    )
    return counts, len(skipped)

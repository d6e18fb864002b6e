"""Read and apply master data in the encrypted store (rows are JSON objects keyed by entity + id)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from client.core.master_data_checks import paired_schema
from client.core.store import Store
from shared.forms import FLOWS, FormEngine, IdSchema, UiSpec, load_id_schema, load_ui_spec

_UPSERT = text(
    "INSERT INTO master_data (entity, id, center_id, data) VALUES (:entity, :id, :center_id, :data) "
    "ON CONFLICT (entity, id) DO UPDATE SET center_id = excluded.center_id, data = excluded.data"
)
_DELETE = text("DELETE FROM master_data WHERE entity = :entity AND id = :id")


class MasterDataError(ValueError):
    """Master data is missing or malformed (changes are sorted out first: client.core.master_data_checks)."""


def apply_changes(conn: Connection, changes: Iterable[dict[str, Any]]) -> int:
    """Apply changes inside the caller's transaction; return how many were applied."""
    upserts: list[dict[str, Any]] = []
    count = 0
    for change in changes:
        count += 1
        if change["op"] == "upsert":
            data = change["data"]
            upserts.append(
                {
                    "entity": change["entity"],
                    "id": change["id"],
                    "center_id": data.get("center_id"),
                    "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                }
            )
        else:
            if upserts:
                conn.execute(_UPSERT, upserts)
                upserts = []
            conn.execute(_DELETE, {"entity": change["entity"], "id": change["id"]})
    if upserts:
        conn.execute(_UPSERT, upserts)
    return count


_BULK = (
    "INSERT INTO master_data (entity, id, center_id, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (entity, id) DO UPDATE SET center_id = excluded.center_id, data = excluded.data"
)


def bulk_load(conn: Connection, entity: str, rows: list[dict[str, Any]]) -> int:
    """Fast path for snapshots: rows of one entity straight to the driver's executemany (rows already
    sorted out by client.core.master_data_checks)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    params = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise MasterDataError(f"snapshot {entity}: every row needs a string id")
        params.append((entity, row["id"], row.get("center_id"), dumps(row)))
    conn.exec_driver_sql(_BULK, params)
    return len(params)


class MasterData:
    """Read access for services (users, config, options for dropdowns, the form engine)."""

    def __init__(self, *, store: Store, center_id: str | None = None) -> None:
        self._store = store
        self.center_id = center_id

    def get(self, entity: str, row_id: str) -> dict[str, Any] | None:
        with self._store.transaction() as conn:
            row = conn.execute(
                text("SELECT data FROM master_data WHERE entity = :e AND id = :i"), {"e": entity, "i": row_id}
            ).first()
        return json.loads(row[0]) if row else None

    def rows(self, entity: str) -> list[dict[str, Any]]:
        """Rows of ``entity`` for this center (rows without a center apply everywhere)."""
        with self._store.transaction() as conn:
            result = conn.execute(
                text(
                    "SELECT data FROM master_data WHERE entity = :e AND (center_id IS NULL OR center_id = :c)"
                    " ORDER BY id"
                ),
                {"e": entity, "c": self.center_id},
            )
            return [json.loads(r[0]) for r in result]

    def count(self) -> int:
        with self._store.transaction() as conn:
            return int(conn.execute(text("SELECT count(*) FROM master_data")).scalar_one())

    def config(self, key: str, default: Any = None) -> Any:
        row = self.get("config", key)
        return row.get("value", default) if row else default

    def options(self, source: str, parent: str | None) -> list[str] | None:
        """Allowed ids for a dropdown source or ``location:<level>`` under ``parent``."""
        if source.startswith("location:"):
            level = source.split(":", 1)[1]
            rows = [r for r in self.rows("locations") if r.get("level") == level]
            if parent is not None:
                rows = [r for r in rows if r.get("parent_id") == parent]
            return [r["id"] for r in rows if r.get("active", True)] or None
        rows = self.rows(source)
        return [r["id"] for r in rows if r.get("active", True)] or None

    def latest_versioned(self, entity: str, body_key: str) -> dict[str, Any] | None:
        rows = [r for r in self.rows(entity) if isinstance(r.get(body_key), dict)]
        return max(rows, key=lambda r: r.get("version", 0)) if rows else None

    def form_engine(self, *, ui_spec_id: str | None = None, flow: str = "new") -> FormEngine:
        """The form of a process (``flow``: new, update, lost, correction): the newest ui_spec of that
        flow (a spec naming none is ``new``) on the id_schema it names (its ``schema_id``; the newest
        id_schema when it names none). ``MasterDataError`` when no spec of the flow is synced yet,
        unless it is ``new`` (then the bare schema)."""
        spec_rows = [
            r
            for r in self.rows("ui_spec")
            if isinstance(r.get("spec"), dict) and r["spec"].get("flow", "new") == flow
        ]
        if ui_spec_id:
            spec_rows = [r for r in spec_rows if r["id"] == ui_spec_id]
        spec_row = max(spec_rows, key=lambda r: r.get("version", 0)) if spec_rows else None
        if spec_row is None and flow != "new":
            raise MasterDataError(f"no UI spec for the {flow} process in master data yet; sync first")
        schemas = {r["id"]: r for r in self.rows("id_schema") if isinstance(r.get("schema"), dict)}
        schema_row = (
            paired_schema(spec_row, schemas) if spec_row else self.latest_versioned("id_schema", "schema")
        )
        if schema_row is None:
            raise MasterDataError("no id_schema for the UI spec in master data yet; sync first")
        schema: IdSchema = load_id_schema(schema_row)
        spec: UiSpec | None = load_ui_spec(spec_row, schema) if spec_row else None
        return FormEngine(schema=schema, ui_spec=spec, options=self.options)

    def flows(self) -> list[str]:
        """The processes this kiosk's master data has a UI spec for, in ``FLOWS`` order."""
        found = {
            r["spec"].get("flow", "new") for r in self.rows("ui_spec") if isinstance(r.get("spec"), dict)
        }
        return [f for f in FLOWS if f in found]

"""Which master-data changes this kiosk can apply, judged with the same loaders the forms use.

A change the kiosk cannot apply (malformed row, an ID schema the loader refuses, a UI spec that does not
load against the schema it names, a schema or a schema delete that would break the active UI spec) is
set aside with a reason instead of refusing its whole page: the kiosk keeps the last good version of that
row, records and reports the problem, and takes the changes after it (client.core.sync.master_data_sync).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from shared.forms import FormSpecError, IdSchema, load_id_schema, load_ui_spec

_FORM_ENTITIES = ("id_schema", "ui_spec")


@dataclass(frozen=True)
class SkippedChange:
    """A change set aside: its log ``seq`` (the snapshot cursor for snapshot rows) and why."""

    seq: int
    entity: str
    id: str
    reason: str


def _named_schema(spec_row: dict[str, Any]) -> Any:
    spec = spec_row.get("spec") if isinstance(spec_row.get("spec"), dict) else {}
    return spec.get("schema_id")


def paired_schema(spec_row: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The id_schema row a ui_spec row is laid out on: the one its ``schema_id`` names, else the newest."""
    named = _named_schema(spec_row)
    if named is None:
        return max(schemas.values(), key=lambda r: r.get("version", 0), default=None)
    return schemas.get(named) if isinstance(named, str) else None


def _shape_problem(change: Any) -> str | None:
    if not isinstance(change, dict):
        return "a change must be an object"
    if not isinstance(change.get("entity"), str) or not isinstance(change.get("id"), str):
        return "entity and id must be strings"
    if change.get("op") == "upsert":
        data = change.get("data")
        if not isinstance(data, dict) or data.get("id", change["id"]) != change["id"]:
            return "an upsert needs a data object with the same id"
        if change["entity"] == "id_schema":
            try:
                load_id_schema(data)
            except FormSpecError as exc:
                return str(exc)
    elif change.get("op") != "delete":
        return "op must be upsert or delete"
    return None


def _stored(conn: Connection, entity: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(text("SELECT id, data FROM master_data WHERE entity = :e"), {"e": entity})
    return {row_id: json.loads(data) for row_id, data in rows}


def _spec_problem(spec_row: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> str | None:
    schema_row = paired_schema(spec_row, schemas)
    if schema_row is None:
        return "the ui_spec names an id_schema this kiosk does not have"
    try:
        schema: IdSchema = load_id_schema(schema_row)
    except FormSpecError as exc:
        return f"its id_schema does not load: {exc}"
    try:
        load_ui_spec(spec_row, schema)
    except FormSpecError as exc:
        return str(exc)
    return None


def sort_out(conn: Connection, changes: list[Any], *, seq: int | None = None) -> tuple[list, list]:
    """Split ``changes`` (in log order) into (applicable, skipped) against the store as it is now.

    ``seq`` stands in for the changes' own ``seq`` (snapshot rows have none)."""
    skipped: dict[int, SkippedChange] = {}

    def skip(index: int, reason: str) -> None:
        change = changes[index]
        entity, row_id = (
            (str(change.get("entity") or "?"), str(change.get("id") or "?"))
            if isinstance(change, dict)
            else ("?", "?")
        )
        at = seq if seq is not None else change.get("seq") if isinstance(change, dict) else 0
        skipped[index] = SkippedChange(seq=int(at or 0), entity=entity, id=row_id, reason=reason)

    for index, change in enumerate(changes):
        problem = _shape_problem(change)
        if problem:
            skip(index, problem)
    forms = [i for i, c in enumerate(changes) if i not in skipped and c["entity"] in _FORM_ENTITIES]
    if forms:
        stored = {entity: _stored(conn, entity) for entity in _FORM_ENTITIES}

        def state_before(end: int) -> dict[str, dict[str, dict[str, Any]]]:
            """ID schemas and UI specs after the changes before ``end`` that are not set aside."""
            state = {entity: dict(rows) for entity, rows in stored.items()}
            for i in forms:
                if i >= end:
                    break
                if i not in skipped:
                    c = changes[i]
                    if c["op"] == "upsert":
                        state[c["entity"]][c["id"]] = c["data"]
                    else:
                        state[c["entity"]].pop(c["id"], None)
            return state

        # Only the state at the end of the page counts (it is applied in one transaction). A spec that
        # does not load there is set aside when it is bad in itself; when it loaded on the schema of
        # its own time, the later schema changes that broke it are set aside instead. Then schemas that
        # would break a stored spec. Repeat until stable: each round only sets more aside.
        while True:
            before = len(skipped)
            end = state_before(len(changes))
            for i in forms:
                c = changes[i]
                if i in skipped or c["entity"] != "ui_spec" or c["op"] != "upsert":
                    continue
                problem = _spec_problem(c["data"], end["id_schema"])
                if problem is None:
                    continue
                then = state_before(i)
                named = _named_schema(c["data"])
                if _spec_problem(c["data"], then["id_schema"]) is not None:
                    skip(i, problem)
                    break
                for j in forms:
                    later = changes[j]
                    if (
                        j > i
                        and j not in skipped
                        and later["entity"] == "id_schema"
                        and named in (later["id"], None)
                    ):
                        skip(j, f"ui_spec {c['id']!r} would no longer load: {problem}")
                break
            if len(skipped) == before:
                for i in forms:
                    c = changes[i]
                    if i in skipped or c["entity"] != "id_schema":
                        continue
                    for spec_id, spec_row in end["ui_spec"].items():
                        if _named_schema(spec_row) not in (c["id"], None):
                            continue  # laid out on another schema: this change does not touch it
                        problem = _spec_problem(spec_row, end["id_schema"])
                        if problem:
                            skip(i, f"ui_spec {spec_id!r} would no longer load: {problem}")
                            break
                    if len(skipped) > before:
                        break  # re-judge from the new end state
            if len(skipped) == before:
                break
    good = [c for i, c in enumerate(changes) if i not in skipped]
    return good, [skipped[i] for i in sorted(skipped)]

"""The whole-import checks of ``masterdata_refs.check_import``, run on the state an import left in the
database instead of on rows held in memory (``masterdata_import``; the caller rolls back on any problem).

The imported rows are the upserts in the change log between ``first`` and ``last_upsert``; the
resulting rows are ``masterdata_current`` once they are folded in and the deletes applied. Duplicate
ids and rows both imported and deleted are found in the log; references with one anti-join per kind of
reference (in SQL, so a million rows never come back into Python); location cycles, UI specs and
template deletes with ``masterdata_refs``' own functions over the resulting state. Problems come in the
same order and words as ``check_import``'s.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from shared.sync import FieldError
from sync_server.db.tables import CurrentRow
from sync_server.services.masterdata_refs import (
    MAX_ERRORS,
    REFERENCES,
    Origin,
    ResultingState,
    check_template_deletes,
    check_ui_specs,
    error_collector,
)

_BATCH = 5000


@dataclass
class ImportedState:
    """What the streamed import remembers about its rows (little per row, except location parents)."""

    first: int
    last_upsert: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    center_refs: bool = False  # some imported row (not a center) names a center
    parents: dict[str, str | None] = field(default_factory=dict)  # imported location -> parent id
    parent_ordinals: array = field(default_factory=lambda: array("q"))  # their upsert ordinals
    specs: dict[tuple[str, str], int] = field(default_factory=dict)  # id_schema / ui_spec -> ordinal
    users: set[str] = field(default_factory=set)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    delete_files: list[str] = field(default_factory=list)
    stored_deletes: set[tuple[str, str]] = field(default_factory=set)
    replaces: bool = True  # some imported row replaces a stored one (False: all are new)
    ordinal_origin: Callable[[int], Origin] = lambda ordinal: Origin(file="")
    ordinal_of: Callable[[int], int] = lambda seq: seq  # an upsert's seq -> its ordinal

    def note(self, entity: str, row: dict[str, Any], ordinal: int) -> None:
        counts = self.counts
        counts[entity] = counts.get(entity, 0) + 1
        if entity == "locations":
            parent = row.get("parent_id")
            self.parents[row["id"]] = parent if isinstance(parent, str) else None
            self.parent_ordinals.append(ordinal)
        elif entity in ("id_schema", "ui_spec"):
            self.specs.setdefault((entity, row["id"]), ordinal)
        elif entity == "users":
            self.users.add(row["id"])
        if entity != "centers" and isinstance(row.get("center_id"), str):
            self.center_refs = True


def _json_text(dialect: str, column: str, name: str) -> tuple[str, str]:
    """(SQL of the field's text, SQL true when the field is a JSON string) on this dialect."""
    if dialect == "postgresql":
        return f"({column} ->> '{name}')", f"json_typeof({column} -> '{name}') = 'string'"
    return f"json_extract({column}, '$.{name}')", f"json_type({column}, '$.{name}') = 'text'"


def fold(session: Session, state: ImportedState) -> Exception | None:
    """Fold the imported upserts into ``masterdata_current``; what refused it, when something did: the
    same id twice (PostgreSQL refuses that statement; SQLite lets the later row win, which is then
    reported as well), or anything else the caller raises again when no duplicate explains it."""
    if state.last_upsert < state.first:
        return None
    conn = session.connection()
    bounds = {"a": state.first, "b": state.last_upsert}
    insert = (
        "INSERT INTO masterdata_current (entity, entity_id, center_id, data, seq) "
        "SELECT entity, entity_id, center_id, data, seq FROM masterdata_changes "
        "WHERE seq BETWEEN :a AND :b AND op = 'upsert'"
    )
    upsert = (
        " ON CONFLICT (entity, entity_id) DO UPDATE SET center_id = excluded.center_id, "
        "data = excluded.data, seq = excluded.seq"
    )
    if conn.dialect.name == "postgresql":
        # Only new rows (the usual first import of an entity): a plain INSERT, a third quicker there.
        statement = text(insert if not state.replaces else insert + upsert)
        try:
            with conn.begin_nested():
                conn.execute(statement, bounds)
        except DBAPIError as exc:  # a duplicate key, or "... cannot affect row a second time"
            return exc
        return None
    conn.execute(text(insert + upsert), bounds)
    folded = conn.execute(
        text("SELECT count(*) FROM masterdata_current WHERE seq BETWEEN :a AND :b"), bounds
    ).scalar_one()
    return None if folded == sum(state.counts.values()) else RuntimeError("the same id came twice")


def check_result(session: Session, state: ImportedState, *, refused: Exception | None) -> list[FieldError]:
    """Every problem of the import (empty when sound); applies the deletes on the way. ``refused`` is
    what refused the fold (``fold``): raised again unless duplicate ids explain it."""
    errors: list[FieldError] = []
    error = error_collector(errors)

    conn = session.connection()
    bounds = {"a": state.first, "b": state.last_upsert}
    if refused is not None:
        for seq, entity, entity_id, first_seq in conn.execute(
            text(
                "SELECT c.seq, c.entity, c.entity_id, d.first_seq FROM masterdata_changes c JOIN ("
                "SELECT entity, entity_id, min(seq) AS first_seq FROM masterdata_changes "
                "WHERE seq BETWEEN :a AND :b AND op = 'upsert' GROUP BY entity, entity_id "
                "HAVING count(*) > 1) d ON c.entity = d.entity AND c.entity_id = d.entity_id "
                "WHERE c.seq BETWEEN :a AND :b AND c.op = 'upsert' AND c.seq > d.first_seq ORDER BY c.seq"
            ),
            bounds,
        ):
            first = state.ordinal_origin(state.ordinal_of(first_seq))
            at = f"{first.file} row {first.row}" if first.row else first.file
            error(
                state.ordinal_origin(state.ordinal_of(seq)),
                entity,
                "id",
                f"duplicate id {entity_id!r} (also at {at})",
            )
        if not errors:
            raise refused
    imported = _imported(conn, state)
    for (entity, entity_id), file in zip(state.deletes, state.delete_files, strict=True):
        if (entity, entity_id) in imported:
            error(
                Origin(file=file), entity, f"deletes.{entity}", f"{entity_id!r} is both imported and deleted"
            )
    if errors:
        return capped(errors)
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, entity_id in state.deletes:
        by_entity[entity].append(entity_id)
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), _BATCH):
            conn.execute(
                delete(CurrentRow).where(
                    CurrentRow.entity == entity, CurrentRow.entity_id.in_(ids[start : start + _BATCH])
                )
            )
    resulting = ResultingState(
        session, [], []
    )  # nothing imported or deleted beside the table: it is the result
    links = _Links.reached(resulting, state)
    total = _check_references(conn, state, links, error)
    _check_deleted_targets(conn, state, errors)
    _check_location_cycles(links, state, error)
    where = {key: state.ordinal_origin(ordinal) for key, ordinal in state.specs.items()}
    schema_deletes = [
        (k, Origin(file=f))
        for k, f in zip(state.deletes, state.delete_files, strict=True)
        if k[0] == "id_schema"
    ]
    check_ui_specs(resulting, where, [k for k, _ in schema_deletes], [o for _, o in schema_deletes], error)
    template_deletes = [
        (k, Origin(file=f))
        for k, f in zip(state.deletes, state.delete_files, strict=True)
        if k[0] == "templates"
    ]
    check_template_deletes(
        resulting, [k for k, _ in template_deletes], [o for _, o in template_deletes], error
    )
    return capped(errors, len(errors) + total)


def capped(errors: list[FieldError], total: int | None = None) -> list[FieldError]:
    """At most MAX_ERRORS problems, and a last one saying how many more there were (``total``)."""
    total = len(errors) if total is None else total
    if total <= MAX_ERRORS:
        return errors
    return [*errors[:MAX_ERRORS], FieldError(message=f"... and {total - MAX_ERRORS} more problems")]


def _imported(conn, state: ImportedState) -> set[tuple[str, str]]:
    """The deleted keys that this import also upserts (found in the log, folded or not)."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, entity_id in state.deletes:
        if state.counts.get(entity):
            by_entity[entity].append(entity_id)
    found: set[tuple[str, str]] = set()
    query = text(
        "SELECT entity_id FROM masterdata_changes WHERE seq BETWEEN :a AND :b AND op = 'upsert' "
        "AND entity = :entity AND entity_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), _BATCH):
            params = {
                "a": state.first,
                "b": state.last_upsert,
                "entity": entity,
                "ids": ids[start : start + _BATCH],
            }
            found.update((entity, i) for (i,) in conn.execute(query, params))
    return found


def _check_references(conn, state: ImportedState, links: _Links, error) -> int:
    """Imported rows naming a row that the result lacks; returns how many more than were reported.
    Location parents are checked from the links the import already holds; the other references by
    one anti-join each."""
    dialect = conn.dialect.name
    found: list[tuple[int, int, str, str, str, str, bool]] = []
    total = 0
    for index, (source, name, target) in enumerate(REFERENCES):
        if (source, name, target) == ("locations", "parent_id", "locations"):
            for position, (entity_id, parent) in enumerate(state.parents.items()):
                if parent is not None and (parent == entity_id or parent in links.missing):
                    ordinal = state.parent_ordinals[position]
                    found.append((ordinal, index, source, name, parent, target, parent == entity_id))
            continue
        if source == "*":
            if not state.center_refs:
                continue
            value, is_text, which = "c.center_id", "c.center_id IS NOT NULL", "c.entity <> :target"
        else:
            if not state.counts.get(source):
                continue
            value, is_text = _json_text(dialect, "c.data", name)
            which = "c.entity = :source"
        where = (
            f"c.seq BETWEEN :a AND :b AND c.op = 'upsert' AND {which} AND {is_text} AND NOT EXISTS "
            f"(SELECT 1 FROM masterdata_current t WHERE t.entity = :target AND t.entity_id = {value})"
        )
        params = {"a": state.first, "b": state.last_upsert, "source": source, "target": target}
        rows = conn.execute(
            text(
                f"SELECT c.seq, c.entity, {value} FROM masterdata_changes c WHERE {where} "
                f"ORDER BY c.seq LIMIT {MAX_ERRORS + 1}"
            ),
            params,
        ).all()
        if len(rows) > MAX_ERRORS:
            count = text(f"SELECT count(*) FROM masterdata_changes c WHERE {where}")
            total += conn.execute(count, params).scalar_one() - len(rows)
        found += [
            (state.ordinal_of(seq), index, entity, name, ref, target, False) for seq, entity, ref in rows
        ]
    found.sort()
    for ordinal, _index, entity, name, ref, target, is_own in found[: MAX_ERRORS + 1]:
        origin = state.ordinal_origin(ordinal)
        if is_own:
            error(origin, entity, name, f"{ref!r} is its own parent")
        else:
            error(origin, entity, name, f"{name} {ref!r} names no row of {target}")
    return total + max(0, len(found) - MAX_ERRORS - 1)


def _check_deleted_targets(conn, state: ImportedState, errors: list[FieldError]) -> None:
    """A delete must not leave rows (that the import leaves as they are) pointing at the deleted row."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    first_file: dict[str, str] = {}
    for (entity, entity_id), file in zip(state.deletes, state.delete_files, strict=True):
        by_entity[entity].append(entity_id)
        first_file.setdefault(entity, file)
    for source, name, target in REFERENCES:
        ids = sorted(set(by_entity.get(target, ())))
        referring: list[tuple[str, str]] = []
        for start in range(0, len(ids), _BATCH):
            column = CurrentRow.center_id if name == "center_id" else CurrentRow.data[name].as_string()
            query = select(CurrentRow.entity, CurrentRow.entity_id).where(
                column.in_(ids[start : start + _BATCH]), CurrentRow.seq < state.first
            )
            if source != "*":
                query = query.where(CurrentRow.entity == source)
            referring += conn.execute(query.limit(50 - len(referring))).all()
            if len(referring) >= 50:
                break
        for entity, entity_id in referring:
            errors.append(
                FieldError(
                    file=first_file[target],
                    field=f"deletes.{target}",
                    message=f"{target}: still referred to by {entity} {entity_id!r} ({name}); "
                    "delete or change that row in the same import",
                )
            )


@dataclass
class _Links:
    """Parent links of the stored locations that imported ones reach (read a level at a time from the
    resulting rows), and the ids among them that name no row."""

    parents: dict[str, str | None] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    @classmethod
    def reached(cls, resulting: ResultingState, state: ImportedState) -> _Links:
        links = cls()
        imported = state.parents
        frontier = {p for p in imported.values() if p is not None and p not in imported}
        while frontier:
            for entity_id, row in resulting.rows("locations", frontier).items():
                if row is None:
                    links.missing.add(entity_id)
                value = (row or {}).get("parent_id")
                links.parents[entity_id] = value if isinstance(value, str) else None
            frontier = {
                p
                for p in links.parents.values()
                if p is not None and p not in imported and p not in links.parents
            }
        return links


def _check_location_cycles(links: _Links, state: ImportedState, error) -> None:
    """``masterdata_refs._check_location_cycles`` over the imported parent links and the stored ones
    they reach."""
    imported, stored = state.parents, links.parents
    done: set[str] = set()
    for position, start in enumerate(imported):
        if start in done:  # reached from a location walked before: its chain is known to end
            continue
        path = [start]  # short (a hierarchy is a few levels deep): a list is quicker than a set
        seen: set[str] | None = None  # made once a chain gets long
        node = imported[start]
        while node is not None and node not in done:
            if node in (path if seen is None else seen):
                break
            path.append(node)
            if seen is not None:
                seen.add(node)
            elif len(path) > 64:
                seen = set(path)
            node = imported[node] if node in imported else stored.get(node)
        done.update(path)
        if node is not None and node in (path if seen is None else seen):
            parent = imported[node] if node in imported else stored.get(node)
            if parent == node:  # a self-parent is reported as such above
                continue
            cycle = [*path[path.index(node) :], node]
            origin = state.ordinal_origin(state.parent_ordinals[position])
            error(origin, "locations", "parent_id", "location cycle: " + " -> ".join(cycle))

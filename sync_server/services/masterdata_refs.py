"""Whole-import checks of master data against the state it would produce (imported rows over the current
rows): duplicate ids, references to centers / document categories / parent locations, location cycles,
and every UI spec loading against the ID schema it names with the kiosk's own loaders (shared.forms)
and finding the templates (consent texts) it names.

Each problem names the file, row and field of the imported row that causes it. Rows already stored are
only looked up by id (in batches), so a small import into a large database stays cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.forms import FormSpecError, IdSchema, load_id_schema, load_ui_spec
from shared.sync import FieldError
from sync_server.db.tables import CurrentRow
from sync_server.services.masterdata_rules import Deletes, Upserts

_BATCH = 5000
MAX_ERRORS = 500


@dataclass(frozen=True)
class Origin:
    """Where an imported row (or delete) came from, for error messages."""

    file: str
    row: int | None = None


class ResultingState:
    """The master data as it would be after the import: imported rows win, deleted rows are gone."""

    def __init__(self, session: Session, upserts: Upserts, deletes: Deletes) -> None:
        self._session = session
        self.imported: dict[tuple[str, str], dict[str, Any]] = {}
        for entity, row in upserts:
            self.imported[(entity, row["id"])] = row
        self.deleted = set(deletes)
        self._stored: dict[tuple[str, str], dict[str, Any] | None] = {}

    def rows(self, entity: str, ids: set[str]) -> dict[str, dict[str, Any] | None]:
        """The resulting row (or None) for each id of ``entity``."""
        missing = [i for i in ids if (entity, i) not in self.imported and (entity, i) not in self._stored]
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start : start + _BATCH]
            found = dict(  # not the Result itself: dict() would take its keys() for a mapping's
                self._session.execute(
                    select(CurrentRow.entity_id, CurrentRow.data).where(
                        CurrentRow.entity == entity, CurrentRow.entity_id.in_(chunk)
                    )
                ).all()
            )
            for entity_id in chunk:
                self._stored[(entity, entity_id)] = found.get(entity_id)
        return {i: self.get(entity, i) for i in ids}

    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        key = (entity, entity_id)
        if key in self.imported:
            return self.imported[key]
        if key in self.deleted:
            return None
        return self._stored.get(key)

    def all(self, entity: str) -> dict[str, dict[str, Any]]:
        """Every resulting row of a small entity (id_schema, ui_spec)."""
        stored = dict(
            self._session.execute(
                select(CurrentRow.entity_id, CurrentRow.data).where(CurrentRow.entity == entity)
            ).all()
        )
        stored.update({i: row for (e, i), row in self.imported.items() if e == entity})
        return {i: row for i, row in stored.items() if (entity, i) not in self.deleted}

    def referring(self, entity: str, field: str, ids: set[str]) -> list[tuple[str, str]]:
        """Stored rows of ``entity`` whose ``field`` is one of ``ids`` and that the import leaves as they are."""
        column = CurrentRow.center_id if field == "center_id" else CurrentRow.data[field].as_string()
        query = select(CurrentRow.entity, CurrentRow.entity_id, column).where(column.in_(sorted(ids)))
        if entity != "*":
            query = query.where(CurrentRow.entity == entity)
        return [
            (e, i)
            for e, i, _ in self._session.execute(query.limit(50))
            if (e, i) not in self.imported and (e, i) not in self.deleted
        ]


# (entity, field) -> the entity the field's value must name; "*" is every entity.
REFERENCES = (
    ("*", "center_id", "centers"),
    ("document_types", "category_id", "document_categories"),
    ("locations", "parent_id", "locations"),
    ("centers", "location_id", "locations"),
)


def error_collector(errors: list[FieldError]) -> Callable[[Origin, str, str, str], None]:
    """``error(origin, entity, field, message)`` appending the problem to ``errors``."""

    def error(origin: Origin, entity: str, field: str, message: str) -> None:
        errors.append(
            FieldError(
                file=origin.file,
                row=origin.row,
                field=field,
                loc=[entity, origin.row or 0, field],
                message=f"{entity}: {message}",
            )
        )

    return error


def check_import(
    session: Session,
    *,
    upserts: Upserts,
    deletes: Deletes,
    origins: list[Origin],
    delete_origins: list[Origin],
) -> list[FieldError]:
    """Every problem the import would leave in the resulting master data (empty when it is sound)."""
    errors: list[FieldError] = []
    error = error_collector(errors)

    where: dict[tuple[str, str], Origin] = {}
    for (entity, row), origin in zip(upserts, origins, strict=True):
        first = where.setdefault((entity, row["id"]), origin)
        if first is not origin:
            at = f"{first.file} row {first.row}" if first.row else first.file
            error(origin, entity, "id", f"duplicate id {row['id']!r} (also at {at})")
    for (entity, entity_id), origin in zip(deletes, delete_origins, strict=True):
        if (entity, entity_id) in where:
            error(origin, entity, f"deletes.{entity}", f"{entity_id!r} is both imported and deleted")
    if errors:
        return errors
    state = ResultingState(session, upserts, deletes)
    _check_references(state, upserts, origins, error)
    _check_deleted_targets(state, deletes, delete_origins, errors)
    _check_location_cycles(state, upserts, origins, error)
    check_ui_specs(state, where, deletes, delete_origins, error)
    check_template_deletes(state, deletes, delete_origins, error)
    if len(errors) > MAX_ERRORS:  # an answer (and a CLI screen) stays readable
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], FieldError(message=f"... and {more} more problems")]
    return errors


def _references(entity: str, row: dict[str, Any]):
    """(field, target entity, id) of every reference the row makes."""
    for source, field, target in REFERENCES:
        value = row.get(field)
        # a center's own center_id, if any, is not a reference
        if source in ("*", entity) and isinstance(value, str) and not (source == "*" and entity == target):
            yield field, target, value


def _check_references(state: ResultingState, upserts: Upserts, origins: list[Origin], error) -> None:
    wanted: dict[str, set[str]] = defaultdict(set)
    for entity, row in upserts:
        for _field, target, value in _references(entity, row):
            wanted[target].add(value)
    found = {target: state.rows(target, ids) for target, ids in wanted.items()}
    for (entity, row), origin in zip(upserts, origins, strict=True):
        for field, target, value in _references(entity, row):
            if entity == target and value == row["id"]:
                error(origin, entity, field, f"{value!r} is its own parent")
            elif found[target].get(value) is None:
                error(origin, entity, field, f"{field} {value!r} names no row of {target}")


def _check_deleted_targets(
    state: ResultingState, deletes: Deletes, delete_origins: list[Origin], errors: list[FieldError]
) -> None:
    """A delete must not leave stored rows pointing at the deleted row."""
    by_entity: dict[str, set[str]] = defaultdict(set)
    first_origin: dict[str, Origin] = {}
    for (entity, entity_id), origin in zip(deletes, delete_origins, strict=True):
        by_entity[entity].add(entity_id)
        first_origin.setdefault(entity, origin)
    for source, field, target in REFERENCES:
        if target not in by_entity:
            continue
        for entity, entity_id in state.referring(source, field, by_entity[target]):
            origin = first_origin[target]
            errors.append(
                FieldError(
                    file=origin.file,
                    field=f"deletes.{target}",
                    message=f"{target}: still referred to by {entity} {entity_id!r} ({field}); "
                    "delete or change that row in the same import",
                )
            )


def _check_location_cycles(state: ResultingState, upserts: Upserts, origins: list[Origin], error) -> None:
    imported = {
        row["id"]: origin
        for (entity, row), origin in zip(upserts, origins, strict=True)
        if entity == "locations"
    }
    parent: dict[str, str | None] = {}
    frontier = set(imported)
    while frontier:  # load the ancestors of imported locations, one level per round
        for entity_id, row in state.rows("locations", frontier).items():
            value = (row or {}).get("parent_id")
            parent[entity_id] = value if isinstance(value, str) else None
        frontier = {p for p in parent.values() if p is not None and p not in parent}
    done: set[str] = set()
    for start, origin in imported.items():
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent.get(node)
        done.update(path)
        if node is not None and node in on_path and parent.get(node) != node:  # self-parent: reported above
            cycle = [*path[path.index(node) :], node]
            error(origin, "locations", "parent_id", "location cycle: " + " -> ".join(cycle))


def check_ui_specs(
    state: ResultingState,
    where: dict[tuple[str, str], Origin],
    deletes: Deletes,
    delete_origins: list[Origin],
    error,
) -> None:
    """Every UI spec must load against the ID schema it names, as the kiosk loads it."""
    touched = {key for key in where if key[0] in ("id_schema", "ui_spec")}
    removed = {key: o for key, o in zip(deletes, delete_origins, strict=True) if key[0] == "id_schema"}
    if not touched and not removed:
        return
    schemas = state.all("id_schema")
    loaded: dict[str, IdSchema | None] = {}
    for schema_id, row in schemas.items():
        try:
            loaded[schema_id] = load_id_schema(row)
        except FormSpecError:
            loaded[schema_id] = None  # reported on the id_schema row itself
    newest = max(schemas, key=lambda i: schemas[i].get("version", 0), default=None)
    for spec_id, row in state.all("ui_spec").items():
        spec = row.get("spec") if isinstance(row.get("spec"), dict) else {}
        named = spec.get("schema_id", newest)
        own = where.get(("ui_spec", spec_id))
        blame = own or where.get(("id_schema", str(named))) or removed.get(("id_schema", str(named)))
        if blame is None and "schema_id" not in spec:  # laid on the newest schema: any schema change counts
            changed = [o for key, o in where.items() if key[0] == "id_schema"] + list(removed.values())
            blame = changed[0] if changed else None
        if blame is None:
            continue  # neither the spec nor its schema changes in this import
        field, prefix = ("spec", "") if own else ("schema", f"ui_spec {spec_id!r} would break: ")
        entity = "ui_spec" if own else "id_schema"
        if not isinstance(named, str) or named not in schemas:
            error(blame, entity, field, f"{prefix}names id_schema {named!r}, which does not exist")
            continue
        schema = loaded[named]
        if schema is None:
            continue
        version = spec.get("schema_version")
        if version is not None and version != schemas[named].get("version"):
            error(
                blame,
                entity,
                field,
                f"{prefix}names id_schema {named!r} version {version}, "
                f"but that schema is version {schemas[named].get('version')}",
            )
            continue
        try:
            ui_spec = load_ui_spec(row, schema)
        except FormSpecError as exc:
            error(blame, entity, field, f"{prefix}{exc}")
            continue
        named_templates = {f.template for s in ui_spec.screens for f in s.fields if f.template}
        for template, found in state.rows("templates", named_templates).items():
            if found is None:  # the kiosk could not show the consent text the applicant agrees to
                error(blame, entity, field, f"{prefix}names template {template!r}, which does not exist")


def check_template_deletes(
    state: ResultingState, deletes: Deletes, delete_origins: list[Origin], error
) -> None:
    """A template a UI spec still names (the consent text) cannot be deleted."""
    removed = {i: o for (e, i), o in zip(deletes, delete_origins, strict=True) if e == "templates"}
    if not removed:
        return
    for spec_id, row in state.all("ui_spec").items():
        spec = row.get("spec") if isinstance(row.get("spec"), dict) else {}
        screens = [s for s in spec.get("screens") or [] if isinstance(s, dict)]
        for ui_field in (f for s in screens for f in s.get("fields") or [] if isinstance(f, dict)):
            origin = removed.get(str(ui_field.get("template")))
            if origin is not None:
                error(origin, "templates", "deletes.templates", f"ui_spec {spec_id!r} still shows it")

"""What a master-data import would change, without changing anything (a dry run), and applying it
later only if nothing changed in between.

``preview_import`` parses and validates the files exactly as ``masterdata.import_documents`` does (row
checks, then the whole resulting state), adds the uploader's center scope, and compares every row
with the stored one: per entity the rows added, changed (which fields, old -> new) and deleted.
Secret fields are never shown, only said to have changed. ``apply_import`` re-validates and applies
all-or-nothing through ``import_documents`` (audited), refusing when the log moved past the preview.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.sync import FieldError, ImportResult
from sync_server.db.tables import CurrentRow
from sync_server.services.masterdata import import_documents, latest_seq, parse_documents
from sync_server.services.masterdata_refs import Origin, check_import
from sync_server.services.masterdata_rules import Deletes, MasterDataInvalid, Upserts
from sync_server.services.roles import KIOSK_ROLES

SECRET_FIELDS = frozenset({"password_hash", "totp_secret"})
SHOWN_ROWS = 20  # the first rows of each kind shown per entity
_BATCH = 5000
_VALUE_CHARS = 80


class FieldChange(BaseModel):
    field: str
    old: str | None  # None: absent before; secret fields: "changed" is all that is said
    new: str | None
    secret: bool = False


class RowChange(BaseModel):
    id: str
    fields: list[FieldChange] = []
    summary: str = ""  # added rows: a short view of the row, secrets hidden


class EntityDiff(BaseModel):
    entity: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    added_rows: list[RowChange] = []
    changed_rows: list[RowChange] = []
    deleted_ids: list[str] = []


class ImportPreview(BaseModel):
    """The import's effect against the log at ``base_seq``; nothing was written."""

    base_seq: int
    entities: list[EntityDiff]

    @property
    def total(self) -> int:
        return sum(e.added + e.changed + e.deleted for e in self.entities)


class PreviewStale(Exception):
    """Master data changed since the preview: the admin must look at a fresh one before applying."""

    def __init__(self, base_seq: int, now_seq: int) -> None:
        super().__init__(f"master data changed since the preview (log at {now_seq}, preview at {base_seq})")
        self.base_seq, self.now_seq = base_seq, now_seq


def _stored(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], CurrentRow]:
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, entity_id in keys:
        by_entity[entity].append(entity_id)
    found: dict[tuple[str, str], CurrentRow] = {}
    for entity, ids in by_entity.items():
        for start in range(0, len(ids), _BATCH):
            query = select(CurrentRow).where(
                CurrentRow.entity == entity, CurrentRow.entity_id.in_(ids[start : start + _BATCH])
            )
            found.update({(r.entity, r.entity_id): r for r in session.scalars(query)})
    return found


def _scope_errors(
    centers: frozenset[str],
    upserts: Upserts,
    deletes: Deletes,
    origins: list[Origin],
    delete_origins: list[Origin],
    stored: dict[tuple[str, str], CurrentRow],
) -> list[FieldError]:
    """A center admin touches only rows of their centers: new and stored center alike; global rows
    (ID schema, UI specs, languages, document types...) and the admin role are for admins."""
    errors: list[FieldError] = []

    def refuse(origin: Origin, entity: str, field: str, message: str) -> None:
        errors.append(
            FieldError(
                file=origin.file,
                row=origin.row,
                field=field,
                loc=[entity, field],
                message=f"{entity}: {message}",
            )
        )

    for (entity, row), origin in zip(upserts, origins, strict=True):
        center = row["id"] if entity == "centers" else row.get("center_id")
        field = "id" if entity == "centers" else "center_id"
        old = stored.get((entity, row["id"]))
        old_center = (old.entity_id if entity == "centers" else old.center_id) if old else center
        if center is None:
            refuse(origin, entity, field, "rows without a center may only be imported by an admin")
        elif center not in centers or old_center not in centers:
            refuse(
                origin, entity, field, f"center {old_center if center in centers else center} is not yours"
            )
        elif entity == "users":
            # kiosk users only: any other role reaches every center, and an account held by one is not theirs
            if not set(row.get("roles") or []) <= KIOSK_ROLES or not _kiosk_only(old):
                refuse(origin, entity, "roles", "a center admin imports operators and supervisors only")
            listed = row.get("center_ids")
            if isinstance(listed, list) and not set(listed) <= centers:
                refuse(origin, entity, "center_ids", "lists a center that is not yours")
    for (entity, entity_id), origin in zip(deletes, delete_origins, strict=True):
        old = stored.get((entity, entity_id))
        center = (old.entity_id if entity == "centers" else old.center_id) if old else None
        if center not in centers:
            refuse(origin, entity, f"deletes.{entity}", f"{entity_id!r} is not a row of your centers")
        elif entity == "users" and not _kiosk_only(old):
            refuse(origin, entity, f"deletes.{entity}", f"{entity_id!r} is not a kiosk user")
    return errors


def _kiosk_only(stored: CurrentRow | None) -> bool:
    """Whether a stored user (or none yet) holds kiosk roles only."""
    roles = (stored.data or {}).get("roles") if stored is not None else []
    return isinstance(roles, list) and set(roles) <= KIOSK_ROLES


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _summary(row: dict[str, Any]) -> str:
    shown = {k: ("•••" if k in SECRET_FIELDS else v) for k, v in row.items() if k != "id"}
    return _show(shown)


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    changes = []
    for field in sorted(old.keys() | new.keys()):
        if old.get(field) == new.get(field) and (field in old) == (field in new):
            continue
        if field in SECRET_FIELDS:
            changes.append(FieldChange(field=field, old=None, new=None, secret=True))
        else:
            before = _show(old[field]) if field in old else None
            after = _show(new[field]) if field in new else None
            changes.append(FieldChange(field=field, old=before, new=after))
    return changes


def _diff(upserts: Upserts, deletes: Deletes, stored: dict[tuple[str, str], CurrentRow]) -> list[EntityDiff]:
    diffs: dict[str, EntityDiff] = {}
    folded = {(entity, row["id"]): row for entity, row in upserts}  # later rows for an id win
    for (entity, entity_id), row in folded.items():
        diff = diffs.setdefault(entity, EntityDiff(entity=entity))
        old = stored.get((entity, entity_id))
        if old is None:
            diff.added += 1
            if len(diff.added_rows) < SHOWN_ROWS:
                diff.added_rows.append(RowChange(id=entity_id, summary=_summary(row)))
            continue
        fields = _field_changes(old.data or {}, row)
        if not fields and old.center_id == row.get("center_id"):
            diff.unchanged += 1
            continue
        diff.changed += 1
        if len(diff.changed_rows) < SHOWN_ROWS:
            diff.changed_rows.append(RowChange(id=entity_id, fields=fields))
    for entity, entity_id in dict.fromkeys(deletes):
        diff = diffs.setdefault(entity, EntityDiff(entity=entity))
        diff.deleted += 1
        if len(diff.deleted_ids) < SHOWN_ROWS:
            diff.deleted_ids.append(entity_id)
    return [diffs[e] for e in sorted(diffs)]


def _validate(
    session: Session, documents: list[tuple[str, bytes]], centers: frozenset[str] | None
) -> tuple[Upserts, Deletes, dict[tuple[str, str], CurrentRow]]:
    upserts, deletes, origins, delete_origins = parse_documents(documents)
    stored = _stored(session, {(e, r["id"]) for e, r in upserts} | set(deletes))
    errors = []
    if centers is not None:
        errors += _scope_errors(centers, upserts, deletes, origins, delete_origins, stored)
    wanted = {(e, r["id"]) for e, r in upserts}
    errors += [
        FieldError(file=o.file, field=f"deletes.{e}", message=f"{e} {i!r} does not exist")
        for (e, i), o in zip(deletes, delete_origins, strict=True)
        if (e, i) not in stored and (e, i) not in wanted
    ]
    errors += check_import(
        session, upserts=upserts, deletes=deletes, origins=origins, delete_origins=delete_origins
    )
    if errors:
        raise MasterDataInvalid(errors)
    return upserts, deletes, stored


def preview_import(
    session: Session, documents: list[tuple[str, bytes]], *, centers: frozenset[str] | None
) -> ImportPreview:
    """The import's effect, read-only in its own transaction (rolled back); MasterDataInvalid lists
    every problem (file, row, field). ``centers``: the uploader's scope (None: every center)."""
    with session.begin() as transaction:
        try:
            base = latest_seq(session)
            upserts, deletes, stored = _validate(session, documents, centers)
            return ImportPreview(base_seq=base, entities=_diff(upserts, deletes, stored))
        finally:
            transaction.rollback()


def apply_import(
    session: Session,
    documents: list[tuple[str, bytes]],
    *,
    centers: frozenset[str] | None,
    actor: str,
    base_seq: int,
) -> ImportResult:
    """Re-validate and apply all-or-nothing (audited as ``masterdata.import``), only onto the log the
    preview saw: PreviewStale when anything was appended since ``base_seq``."""
    with session.begin():
        now = latest_seq(session)
        if now != base_seq:
            raise PreviewStale(base_seq, now)
        _validate(session, documents, centers)
        result = import_documents(session, documents, actor=actor)
        # import_documents locked the log before numbering: a change that slipped in after the check
        # above shows as a gap here, and raising rolls the whole import back.
        if result.first_seq is not None and result.first_seq != base_seq + 1:
            raise PreviewStale(base_seq, result.first_seq - 1)
        return result

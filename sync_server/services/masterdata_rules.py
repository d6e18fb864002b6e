"""Row-level validation of master-data imports. Every problem names the file, row and field."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

from shared.exit_codes import BAD_INPUT
from shared.forms import FormSpecError, load_id_schema
from shared.forms.consent import MAX_TEMPLATE_TEXT
from shared.sync import FieldError
from sync_server.services.roles import ALL_ROLES

IMPORT_FORMAT = "openreg-masterdata/1"
ROLES = ALL_ROLES
# The entities kiosks and the server know (docs/sync-protocol.md); a typo such as ``centres`` would
# otherwise be stored and sent to every kiosk, which ignores it.
ENTITIES = frozenset(
    {
        "centers",
        "machines",
        "users",
        "genders",
        "locations",
        "document_categories",
        "document_types",
        "id_schema",
        "ui_spec",
        "config",
        "holidays",
        "languages",
        "device_models",
        "receipt_templates",
        "preregistrations",
        "reject_reasons",
        "templates",
    }
)
LOCATION_LEVELS = {"region", "province", "city", "postal_code"}
_ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FIVE_DIGITS = re.compile(r"^[0-9]{5}$")

Upserts = list[tuple[str, dict[str, Any]]]
Deletes = list[tuple[str, str]]


class MasterDataInvalid(ValueError):
    exit_code = BAD_INPUT

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(_describe(e) for e in errors[:10]))
        self.errors = errors


def _describe(error: FieldError) -> str:
    where = ", ".join(
        part for part in (error.file, f"row {error.row}" if error.row else None, error.field) if part
    )
    return f"{where}: {error.message}" if where else error.message


def _labels(value: Any) -> str | None:
    # A loop, not all(<generator>): this runs for every row of a million-row import.
    if isinstance(value, dict) and value:
        for text in value.values():
            if type(text) is not str and not isinstance(text, str):
                break
        else:
            return None
    return "must be an object of language code -> text"


def _check_entity_row(entity: str, row: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) problems of one row."""
    problems: list[tuple[str, str]] = []

    def need(field: str, kind: type | tuple[type, ...], what: str) -> Any:
        value = row.get(field)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            problems.append((field, f"is required and must be {what}"))
        return value

    if entity == "centers":
        if isinstance(row.get("id"), str) and not _FIVE_DIGITS.match(row["id"]):
            problems.append(("id", "a center id must be a 5-digit string"))
        need("name", str, "text")
    elif entity == "users":
        need("name", str, "text")
        roles = need("roles", list, "a list of roles")
        if isinstance(roles, list) and (not roles or not set(roles) <= ROLES):
            problems.append(("roles", f"must be a non-empty subset of {sorted(ROLES)}"))
        center_ids = row.get("center_ids")
        if center_ids is not None and not (
            isinstance(center_ids, list)
            and len(center_ids) <= 1000
            and all(isinstance(c, str) and _FIVE_DIGITS.match(c) for c in center_ids)
        ):
            problems.append(("center_ids", "must be a list of 5-digit center ids (a center admin's centers)"))
        pw = need("password_hash", str, "an argon2id PHC string")
        if isinstance(pw, str) and not pw.startswith("$argon2id$"):
            problems.append(("password_hash", "must be an argon2id PHC string ($argon2id$...)"))
        if isinstance(roles, list) and "supervisor" in roles:
            secret = need("totp_secret", str, "a base32 TOTP secret (supervisors)")
            if isinstance(secret, str):
                try:
                    base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
                except (binascii.Error, ValueError):
                    problems.append(("totp_secret", "is not valid base32"))
    elif entity in ("genders", "document_categories", "reject_reasons"):
        problems += [("labels", m) for m in [_labels(row.get("labels"))] if m]
    elif entity == "locations":
        if row.get("level") not in LOCATION_LEVELS:
            problems.append(("level", f"must be one of {sorted(LOCATION_LEVELS)}"))
        if row.get("parent_id") is not None and not isinstance(row.get("parent_id"), str):
            problems.append(("parent_id", "must be a location id or null"))
        problems += [("labels", m) for m in [_labels(row.get("labels"))] if m]
    elif entity == "document_types":
        need("category_id", str, "a document category id")
        problems += [("labels", m) for m in [_labels(row.get("labels"))] if m]
    elif entity in ("id_schema", "ui_spec"):
        need("version", int, "an integer")
        body = need("schema" if entity == "id_schema" else "spec", dict, "a JSON object")
        if entity == "id_schema" and isinstance(body, dict):
            try:  # the kiosk's own loader: what it refuses must not be stored (ui_spec: masterdata_refs)
                load_id_schema(row)
            except FormSpecError as exc:
                problems.append(("schema", str(exc)))
    elif entity == "config":
        if "value" not in row:
            problems.append(("value", "is required (any JSON value)"))
    elif entity == "holidays":
        date = need("date", str, "an ISO date (YYYY-MM-DD)")
        if isinstance(date, str):
            try:
                dt.date.fromisoformat(date)
            except ValueError:
                problems.append(("date", "is not an ISO date (YYYY-MM-DD)"))
    elif entity == "languages":
        need("name", str, "text")
        need("rtl", bool, "true or false")
    elif entity == "device_models":
        need("modality", str, "text")
    elif entity == "templates":  # texts shown to applicants, e.g. the consent (docs/forms.md)
        texts = row.get("texts")
        problems += [("texts", m) for m in [_labels(texts)] if m]
        if not problems and any(len(t) > MAX_TEMPLATE_TEXT for t in texts.values()):
            problems.append(("texts", f"a text is longer than {MAX_TEMPLATE_TEXT} characters"))
    elif entity == "preregistrations":
        # Personal data: only ever sent to the kiosks of the center where the applicant booked.
        need("center_id", str, "the 5-digit center where the applicant will come")
        need("data", dict, "an object of form field id -> value")
        date = row.get("appointment_date")
        if date is not None:
            try:
                dt.date.fromisoformat(date)
            except (TypeError, ValueError):
                problems.append(("appointment_date", "is not an ISO date (YYYY-MM-DD)"))
    return problems


def entity_errors(file: str, entity: str) -> list[FieldError]:
    """The problem with an entity name itself (empty when it is a known entity)."""
    if not _ENTITY_NAME.match(entity):
        return [FieldError(file=file, field=entity, message="entity names are lower-case letters, digits, _")]
    if entity not in ENTITIES:
        return [
            FieldError(
                file=file, field=entity, message=f"unknown entity {entity!r}; known: {sorted(ENTITIES)}"
            )
        ]
    return []


def row_errors(file: str, entity: str, row: Any, number: int) -> list[FieldError]:
    """Every problem of one row of a known entity (empty when it is sound)."""
    if not isinstance(row, dict):
        return [FieldError(file=file, row=number, message=f"{entity}: a row must be a JSON object")]
    problems = []
    if not isinstance(row.get("id"), str) or not 0 < len(row["id"]) <= 200:
        problems.append(("id", "is required and must be a non-empty string (at most 200 characters)"))
    center = row.get("center_id")
    if center is not None and (not isinstance(center, str) or not _FIVE_DIGITS.match(center)):
        problems.append(("center_id", "must be a 5-digit center id or null"))
    problems += _check_entity_row(entity, row)
    return [
        FieldError(
            file=file, row=number, field=field, loc=[entity, number, field], message=f"{entity}: {msg}"
        )
        for field, msg in problems
    ]


def validate_rows(file: str, entity: str, rows: Any, *, first_row: int = 1) -> list[FieldError]:
    errors = entity_errors(file, entity)
    if errors:
        return errors
    if not isinstance(rows, list):
        return [FieldError(file=file, field=entity, message="an entity holds a list of row objects")]
    for number, row in enumerate(rows, start=first_row):
        errors += row_errors(file, entity, row, number)
    return errors


def parse_json_document(file: str, document: Any) -> tuple[Upserts, Deletes]:
    """Validate a whole import document; raise MasterDataInvalid listing every problem."""
    if not isinstance(document, dict) or document.get("format") != IMPORT_FORMAT:
        raise MasterDataInvalid([FieldError(file=file, field="format", message=f"must be {IMPORT_FORMAT!r}")])
    entities, deletes = document.get("entities", {}), document.get("deletes", {})
    errors: list[FieldError] = []
    if not isinstance(entities, dict) or not isinstance(deletes, dict):
        raise MasterDataInvalid([FieldError(file=file, message="entities and deletes must be objects")])
    upserts: Upserts = []
    for entity, rows in entities.items():
        found = validate_rows(file, entity, rows)
        errors += found
        if not found:
            upserts += [(entity, row) for row in rows]
    removals: Deletes = []
    for entity, ids in deletes.items():
        if entity not in ENTITIES:
            errors.append(
                FieldError(file=file, field=f"deletes.{entity}", message=f"unknown entity {entity!r}")
            )
            continue
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            errors.append(FieldError(file=file, field=f"deletes.{entity}", message="must be a list of ids"))
            continue
        removals += [(entity, i) for i in ids]
    if errors:
        raise MasterDataInvalid(errors)
    return upserts, removals


def csv_cell(column: str, text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"') or stripped in ("true", "false", "null"):
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            return text  # left as text; the row check names the field if it matters
    if column == "version" and stripped.isdigit():
        return int(stripped)
    return text


def parse_csv_document(file: str, entity: str, text: str) -> tuple[Upserts, Deletes]:
    reader = csv.DictReader(io.StringIO(text))
    rows = [{k: csv_cell(k, v) for k, v in raw.items() if k and v not in (None, "")} for raw in reader]
    errors = validate_rows(file, entity, rows, first_row=2)  # row 1 is the header
    if errors:
        raise MasterDataInvalid(errors)
    return [(entity, row) for row in rows], []


def parse_import(name: str, content: bytes) -> tuple[Upserts, Deletes]:
    """Parse one import file by name (``*.json`` document or ``<entity>.csv``)."""
    file = Path(name).name
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MasterDataInvalid([FieldError(file=file, message=f"not UTF-8: {exc}")]) from exc
    if file.lower().endswith(".csv"):
        return parse_csv_document(file, Path(file).stem, text)
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise MasterDataInvalid([FieldError(file=file, message="not valid JSON: nested too deeply")]) from exc
    except ValueError as exc:
        raise MasterDataInvalid([FieldError(file=file, message=f"not valid JSON: {exc}")]) from exc
    return parse_json_document(file, document)

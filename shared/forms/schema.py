"""ID schema and UI spec: the JSON formats (docs/forms.md) loaded into checked, immutable objects.

Loading checks everything that can be checked without values (field types, validator parameters, regexes,
conditions, that every UI field exists in the schema), so a broken spec from master data is refused with
a clear message instead of failing in front of an officer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.forms.conditions import ConditionError, names_in, parse_condition

FIELD_TYPES = frozenset(
    {"text", "date", "dropdown", "location", "document", "biometrics", "number", "consent"}
)
SCREEN_KINDS = ("demographics", "documents", "biometrics")
VALIDATOR_TYPES = frozenset({"required", "regex", "length", "date_range", "age", "range"})
BIOMETRIC_MODALITIES = ("finger", "iris", "face")
MAX_REGEX_LENGTH = 300
FLOWS = ("new", "update", "lost", "correction")  # the processes a UI spec lays out (docs/forms.md)
RESERVED_GROUPS = ("documents", "biometrics")  # update groups that are not demographic groups
_NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"


class FormSpecError(ValueError):
    """An ID schema or UI spec is malformed; the message names the offending part."""


@dataclass(frozen=True)
class Validator:
    type: str
    params: dict[str, Any]
    messages: dict[str, str]  # language -> message; empty means use the engine's default wording


@dataclass(frozen=True)
class FieldSpec:
    """One field of the identity record (``id_schema``)."""

    id: str
    type: str
    required: bool = False
    required_on: str | None = None
    validators: tuple[Validator, ...] = ()
    source: str | None = None  # dropdown: master-data entity the options come from
    level: str | None = None  # location: hierarchy level
    parent: str | None = None  # location: field holding the parent location
    category: str | None = None  # document: document category id
    modalities: tuple[str, ...] = ()  # biometrics
    group: str | None = None  # demographic group an update changes as one (e.g. "address")


@dataclass(frozen=True)
class IdSchema:
    id: str
    version: int
    fields: dict[str, FieldSpec]  # insertion order is the schema order

    def field(self, field_id: str) -> FieldSpec:
        return self.fields[field_id]

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Demographic group -> its field ids, in schema order (what an update changes as one)."""
        found: dict[str, list[str]] = {}
        for spec in self.fields.values():
            if spec.group:
                found.setdefault(spec.group, []).append(spec.id)
        return {group: tuple(ids) for group, ids in found.items()}


@dataclass(frozen=True)
class UiField:
    id: str
    control: str
    labels: dict[str, str]
    visible_on: str | None = None
    required_on: str | None = None
    placeholder: dict[str, str] = field(default_factory=dict)
    required: bool = False  # required on the kiosk only: the server's packet check reads the schema
    template: str | None = None  # consent: the ``templates`` master-data row holding the text


@dataclass(frozen=True)
class ScreenSpec:
    id: str
    kind: str  # demographics | documents | biometrics
    labels: dict[str, str]
    fields: tuple[UiField, ...]


@dataclass(frozen=True)
class UpdateGroup:
    """What an update may change, as the officer picks it: a demographic group of the schema,
    ``documents`` or ``biometrics``."""

    id: str
    labels: dict[str, str]


@dataclass(frozen=True)
class UiSpec:
    id: str
    version: int
    schema_id: str
    default_language: str
    second_language: str | None
    languages: tuple[str, ...]
    rtl_languages: frozenset[str]
    screens: tuple[ScreenSpec, ...]
    flow: str = "new"  # the process this spec lays out: new | update | lost | correction
    groups: tuple[UpdateGroup, ...] = ()  # update: what the officer may choose to change, in order

    def screen(self, screen_id: str) -> ScreenSpec:
        for screen in self.screens:
            if screen.id == screen_id:
                return screen
        raise KeyError(screen_id)


def _require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise FormSpecError(f"{where}: missing '{key}'")
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise FormSpecError(f"{where}: '{key}' has the wrong type")
    return value


def _labels(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise FormSpecError(f"{where}: labels must map language codes to strings")
    return dict(raw)


def _condition(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    try:
        parse_condition(raw)
    except ConditionError as exc:
        raise FormSpecError(f"{where}: {exc}") from exc
    return raw


def _date_bound(raw: Any, where: str) -> None:
    if raw is None or raw == "today":
        return
    try:
        date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise FormSpecError(f"{where}: date bound must be YYYY-MM-DD or 'today'") from exc


def _validator(raw: Any, where: str) -> Validator:
    kind = _require(raw, "type", str, where)
    if kind not in VALIDATOR_TYPES:
        raise FormSpecError(f"{where}: unknown validator type {kind!r}")
    params = {k: v for k, v in raw.items() if k not in {"type", "message"}}
    if kind == "regex":
        pattern = _require(raw, "pattern", str, where)
        if len(pattern) > MAX_REGEX_LENGTH:
            raise FormSpecError(f"{where}: regex longer than {MAX_REGEX_LENGTH} characters")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise FormSpecError(f"{where}: invalid regex: {exc}") from exc
    elif kind in {"length", "age", "range"}:
        for bound in ("min", "max"):
            value = params.get(bound)
            if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise FormSpecError(f"{where}: '{bound}' must be a number")
    elif kind == "date_range":
        _date_bound(params.get("min"), where)
        _date_bound(params.get("max"), where)
    message = raw.get("message")
    messages = _labels(message, where) if isinstance(message, dict) else ({"eng": message} if message else {})
    return Validator(type=kind, params=params, messages=messages)


def load_id_schema(raw: dict[str, Any]) -> IdSchema:
    """Check and load an ``id_schema`` master-data row's ``schema`` (or the whole row)."""
    body = raw.get("schema", raw) if isinstance(raw, dict) else raw
    version = _require(body, "version", int, "id_schema")
    raw_fields = _require(body, "fields", list, "id_schema")
    fields: dict[str, FieldSpec] = {}
    for index, item in enumerate(raw_fields):
        where = f"id_schema field #{index}"
        field_id = _require(item, "id", str, where)
        where = f"id_schema field '{field_id}'"
        if not re.fullmatch(_NAME, field_id):
            raise FormSpecError(f"{where}: ids are letters, digits and _ (max 64), starting with a letter")
        if field_id in fields:
            raise FormSpecError(f"{where}: duplicate field id")
        kind = _require(item, "type", str, where)
        if kind not in FIELD_TYPES:
            raise FormSpecError(f"{where}: unknown type {kind!r} (allowed: {sorted(FIELD_TYPES)})")
        modalities = tuple(item.get("modalities", BIOMETRIC_MODALITIES if kind == "biometrics" else ()))
        if any(m not in BIOMETRIC_MODALITIES for m in modalities):
            raise FormSpecError(f"{where}: modalities must be among {BIOMETRIC_MODALITIES}")
        if kind == "dropdown" and not isinstance(item.get("source"), str):
            raise FormSpecError(f"{where}: a dropdown needs 'source' (a master-data entity)")
        if kind == "location" and not isinstance(item.get("level"), str):
            raise FormSpecError(f"{where}: a location field needs 'level'")
        group = item.get("group")
        if group is not None:
            if not isinstance(group, str) or not re.fullmatch(_NAME, group) or group in RESERVED_GROUPS:
                raise FormSpecError(
                    f"{where}: 'group' is a name (letters, digits, _) other than {RESERVED_GROUPS}"
                )
            if kind in {"document", "biometrics", "consent"}:
                raise FormSpecError(f"{where}: only demographic fields belong to a group")
        fields[field_id] = FieldSpec(
            id=field_id,
            type=kind,
            required=bool(item.get("required", False)),
            required_on=_condition(item.get("required_on"), where),
            validators=tuple(_validator(v, where) for v in item.get("validators", [])),
            source=item.get("source"),
            level=item.get("level"),
            parent=item.get("parent"),
            category=item.get("category"),
            modalities=modalities,
            group=group,
        )
    for spec in fields.values():
        if spec.parent is not None and spec.parent not in fields:
            raise FormSpecError(f"id_schema field '{spec.id}': parent '{spec.parent}' is not a field")
        if spec.required_on:
            _check_names(spec.required_on, fields, f"id_schema field '{spec.id}'")
    return IdSchema(id=str(raw.get("id", "id_schema")), version=version, fields=fields)


def _check_names(condition: str, fields: dict[str, Any], where: str) -> None:
    unknown = names_in(condition) - set(fields)
    if unknown:
        raise FormSpecError(f"{where}: condition refers to unknown field(s) {sorted(unknown)}")


def load_ui_spec(raw: dict[str, Any], schema: IdSchema) -> UiSpec:
    """Check and load a ``ui_spec`` row's ``spec`` against the schema it lays out."""
    body = raw.get("spec", raw) if isinstance(raw, dict) else raw
    version = _require(body, "version", int, "ui_spec")
    langs = _require(body, "languages", dict, "ui_spec")
    default = _require(langs, "default", str, "ui_spec languages")
    available = tuple(langs.get("available", [default]))
    second = langs.get("second")
    if default not in available or (second is not None and second not in available):
        raise FormSpecError("ui_spec languages: default/second must be among 'available'")
    screens: list[ScreenSpec] = []
    seen: set[str] = set()
    for index, raw_screen in enumerate(_require(body, "screens", list, "ui_spec")):
        where = f"ui_spec screen #{index}"
        screen_id = _require(raw_screen, "id", str, where)
        kind = raw_screen.get("kind", "demographics")
        if kind not in SCREEN_KINDS:
            raise FormSpecError(f"{where}: unknown kind {kind!r}")
        ui_fields = []
        for raw_field in _require(raw_screen, "fields", list, where):
            field_id = _require(raw_field, "id", str, where)
            fwhere = f"ui_spec field '{field_id}'"
            if field_id not in schema.fields:
                raise FormSpecError(f"{fwhere}: not defined in id_schema {schema.id} v{schema.version}")
            if field_id in seen:
                raise FormSpecError(f"{fwhere}: placed on more than one screen")
            seen.add(field_id)
            ui_field = UiField(
                id=field_id,
                control=raw_field.get("control", schema.fields[field_id].type),
                labels=_labels(raw_field.get("labels"), fwhere),
                visible_on=_condition(raw_field.get("visible_on"), fwhere),
                required_on=_condition(raw_field.get("required_on"), fwhere),
                placeholder=_labels(raw_field.get("placeholder"), fwhere),
                required=raw_field.get("required", False) is True,
                template=raw_field.get("template"),
            )
            if schema.fields[field_id].type == "consent":  # asked before anything else is typed
                if screens or ui_fields or kind != "demographics":
                    raise FormSpecError(f"{fwhere}: a consent field is the first field of the first screen")
                if not (isinstance(ui_field.template, str) and ui_field.template):
                    raise FormSpecError(f"{fwhere}: a consent field names its text's 'template'")
            for cond in (ui_field.visible_on, ui_field.required_on):
                if cond:
                    _check_names(cond, schema.fields, fwhere)
            ui_fields.append(ui_field)
        screens.append(
            ScreenSpec(screen_id, kind, _labels(raw_screen.get("labels"), where), tuple(ui_fields))
        )
    flow = body.get("flow", "new")
    if flow not in FLOWS:
        raise FormSpecError(f"ui_spec: 'flow' must be one of {FLOWS}, not {flow!r}")
    return UiSpec(
        id=str(raw.get("id", "ui_spec")),
        version=version,
        schema_id=str(body.get("schema_id", schema.id)),
        default_language=default,
        second_language=second,
        languages=available,
        rtl_languages=frozenset(langs.get("rtl", [])),
        screens=tuple(screens),
        flow=flow,
        groups=_update_groups(body.get("groups"), flow, schema, screens),
    )


def _update_groups(
    raw: Any, flow: str, schema: IdSchema, screens: list[ScreenSpec]
) -> tuple[UpdateGroup, ...]:
    """An update spec's ``groups``: each a demographic group of the schema whose every field is on a
    screen (the officer could not enter it otherwise), or ``documents`` / ``biometrics`` when the spec
    has such a screen. Other flows have none."""
    if raw is None and flow != "update":
        return ()
    if flow != "update":
        raise FormSpecError("ui_spec: only an update spec lists 'groups'")
    if not isinstance(raw, list) or not raw or len(raw) > 32:
        raise FormSpecError("ui_spec: an update spec lists 1 to 32 'groups' the officer may change")
    known = schema.groups()
    placed = {f.id for s in screens for f in s.fields}
    kinds = {s.kind for s in screens}
    groups: list[UpdateGroup] = []
    for index, item in enumerate(raw):
        where = f"ui_spec group #{index}"
        group_id = _require(item, "id", str, where)
        where = f"ui_spec group '{group_id}'"
        if group_id in RESERVED_GROUPS:
            if group_id not in kinds:
                raise FormSpecError(f"{where}: the spec has no {group_id} screen")
        elif group_id not in known:
            raise FormSpecError(f"{where}: no field of id_schema {schema.id} has this 'group'")
        elif missing := [f for f in known[group_id] if f not in placed]:
            raise FormSpecError(f"{where}: field(s) {missing} of the group are on no screen")
        if any(g.id == group_id for g in groups):
            raise FormSpecError(f"{where}: listed twice")
        groups.append(UpdateGroup(group_id, _labels(item.get("labels"), where)))
    return tuple(groups)

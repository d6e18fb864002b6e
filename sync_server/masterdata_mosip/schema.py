"""MOSIP's identity schema (JSON Schema with ``$ref`` simple types, ``fieldCategory``, ``validators``,
``requiredOn``) as an OpenReg ID schema (docs/forms.md).

Each property of ``properties.identity.properties`` becomes one OpenReg field or a report item saying
why not. The UI specs' hints (:mod:`.hints`) decide what a ``simpleType`` is: a text box, a location
level, a gender or language drop-down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.forms import FormSpecError, load_id_schema
from shared.forms.schema import MAX_REGEX_LENGTH
from sync_server.masterdata_mosip.conditions import ConditionContext, NotConvertible, convert_condition
from sync_server.masterdata_mosip.hints import (
    DOCUMENT_CATEGORIES,
    LOCATION_LEVELS,
    FieldHint,
    Hints,
    group_name,
    level_key,
)
from sync_server.masterdata_mosip.report import ConversionReport, json_path

SYSTEM_FIELDS = {
    "IDSchemaVersion": "OpenReg records the schema id and version in the packet's meta.json",
    "UIN": "OpenReg issues the UIN; an update packet names it in meta.json, not in the identity record",
}
DROPDOWN_SOURCES = {"gender": "genders", "preferredlang": "languages"}  # by subType or id (lower case)
BIO_MODALITIES = {"leftEye": "iris", "rightEye": "iris", "face": "face"}
FINGERS = {
    f"{side}{finger}"
    for side in ("left", "right")
    for finger in ("Thumb", "Index", "Middle", "Ring", "Little")
}
_LENGTH = re.compile(r"^\^\(\?=\.\{(\d+),(\d+)\}\$\)\.\*\$?$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MOSIP_DATE_SAMPLE = "1990/01/15"  # MOSIP writes dates YYYY/MM/DD


@dataclass
class SchemaConversion:
    fields: list[dict[str, Any]] = field(default_factory=list)
    id_map: dict[str, str] = field(default_factory=dict)  # MOSIP id -> OpenReg id
    dropped: dict[str, str] = field(default_factory=dict)  # MOSIP id -> why it is not converted
    paths: dict[str, str] = field(default_factory=dict)  # MOSIP id -> its JSON path
    total: int = 0
    date_of_birth: str | None = None

    def field(self, openreg_id: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["id"] == openreg_id), None)

    def context(self, **kw: Any) -> ConditionContext:
        return ConditionContext(
            fields=dict(self.id_map), dropped=dict(self.dropped), date_of_birth=self.date_of_birth, **kw
        )


def _openreg_id(mosip_id: str, taken: set[str]) -> str | None:
    if _NAME.match(mosip_id):
        return mosip_id
    candidate = re.sub(r"[^A-Za-z0-9_]", "_", mosip_id)[:64]
    if not candidate or not candidate[0].isalpha() or candidate in taken:
        return None
    return candidate


def _is_mosip_date(pattern: str) -> bool:
    """A pattern that takes a MOSIP date and refuses text and an impossible month: a date format."""
    try:
        takes = [
            re.fullmatch(pattern, s) is not None for s in (MOSIP_DATE_SAMPLE, "abcdefghij", "1990/13/40")
        ]
    except re.error:
        return False
    return takes == [True, False, False]


class _SchemaConverter:
    def __init__(self, raw: dict[str, Any], hints: Hints, report: ConversionReport, source: str) -> None:
        self.raw, self.hints, self.report, self.source = raw, hints, report, source
        self.out = SchemaConversion()

    def run(self, age_groups: dict[str, tuple[int, int]]) -> SchemaConversion:
        identity = self.raw.get("properties", {}).get("identity") if isinstance(self.raw, dict) else None
        props = identity.get("properties") if isinstance(identity, dict) else None
        if not isinstance(props, dict) or not props:
            raise ValueError("not a MOSIP identity schema: no properties.identity.properties")
        required = identity.get("required") if isinstance(identity.get("required"), list) else []
        self.out.total = len(props)
        if "simpleType" in (self.raw.get("definitions") or {}):
            self.report.changed(
                self.source,
                json_path("definitions", "simpleType"),
                "a value per language (simpleType) becomes one value: the kiosk keeps the text as typed "
                "(MOSIP's per-language values and transliteration are not kept)",
            )
        conditions: list[tuple[str, dict[str, Any], Any]] = []
        for mosip_id, prop in props.items():
            path = json_path("properties", "identity", "properties", mosip_id)
            self.out.paths[mosip_id] = path
            if not isinstance(prop, dict):
                self._drop(mosip_id, path, "the property is not an object")
                continue
            converted = self._field(mosip_id, prop, path, required=mosip_id in required)
            if converted is not None:
                self.out.fields.append(converted)
                self.out.id_map[mosip_id] = converted["id"]
                if prop.get("requiredOn"):
                    conditions.append((mosip_id, converted, prop["requiredOn"]))
        self._date_of_birth()
        ctx = self.out.context(age_groups=age_groups)
        for mosip_id, converted, raw in conditions:
            path = json_path("properties", "identity", "properties", mosip_id, "requiredOn")
            converted_on = first_condition(raw, ctx, self.report, self.source, path)
            if converted_on:
                converted["required_on"] = converted_on
        self._parents()
        try:  # what the server and the kiosk would refuse must not leave the converter
            load_id_schema({"version": 1, "fields": self.out.fields})
        except FormSpecError as exc:
            raise ValueError(f"converted schema does not load: {exc}") from exc
        return self.out

    def _drop(self, mosip_id: str, path: str, why: str) -> None:
        self.out.dropped[mosip_id] = why
        self.report.not_converted(self.source, path, why)

    def _field(self, mosip_id: str, prop: dict[str, Any], path: str, *, required: bool) -> dict | None:
        if mosip_id in SYSTEM_FIELDS:
            self._drop(mosip_id, path, SYSTEM_FIELDS[mosip_id])
            return None
        openreg_id = _openreg_id(mosip_id, set(self.out.id_map.values()))
        if openreg_id is None:
            self._drop(mosip_id, path, "its id cannot be an OpenReg field id (letters, digits, _)")
            return None
        if openreg_id != mosip_id:
            self.report.changed(
                self.source, path, f"renamed {openreg_id!r} (OpenReg ids are letters, digits, _)"
            )
        hint = self.hints.of(mosip_id)
        kind = self._kind(mosip_id, prop, hint, path)
        if kind is None:
            return None
        out: dict[str, Any] = {"id": openreg_id, **kind}
        if required:
            out["required"] = True
        validators = self._validators(prop, hint, out["type"], path)
        if validators:
            out["validators"] = validators
        group = group_name(hint.group)
        if group and out["type"] in {"text", "date", "dropdown", "location", "number"}:
            if group.lower() in ("documents", "biometrics"):
                self.report.changed(
                    self.source, path, f"group {hint.group!r} is reserved in OpenReg: no group"
                )
            else:
                out["group"] = group
        self._category_note(prop, path)
        for key in ("format",):
            if prop.get(key) not in (None, "", "none"):
                self.report.not_converted(
                    self.source, f"{path}.{key}", f"{key} {prop[key]!r} has no OpenReg equivalent"
                )
        return out

    def _category_note(self, prop: dict[str, Any], path: str) -> None:
        category = prop.get("fieldCategory")
        notes = {
            "evidence": "MOSIP keeps evidence fields in the packet only; OpenReg stores them in the identity",
            "kyc": "MOSIP shares kyc fields in e-KYC answers; OpenReg has no such sharing category",
        }
        if category in notes:
            self.report.changed(self.source, f"{path}.fieldCategory", notes[category])

    def _kind(self, mosip_id: str, prop: dict[str, Any], hint: FieldHint, path: str) -> dict | None:
        ref = str(prop.get("$ref", "")).rsplit("/", 1)[-1]
        base = ref or prop.get("type")
        control = (hint.control or "").lower()
        if base == "documentType":
            category = hint.sub_type or DOCUMENT_CATEGORIES.get(mosip_id)
            return {"type": "document", **({"category": category} if category else {})}
        if base == "biometricsType":
            return self._biometrics(prop, path)
        if base in ("number", "integer"):
            return {"type": "number"}
        if base not in ("simpleType", "string"):
            self._drop(mosip_id, path, f"type {base!r} has no OpenReg field type")
            return None
        key = (hint.sub_type or mosip_id).lower()
        if control in ("dropdown", "button", "radio") or prop.get("fieldType") == "dynamic":
            if level_key(hint.sub_type or mosip_id) in LOCATION_LEVELS and control == "dropdown":
                return {"type": "location", "level": LOCATION_LEVELS[level_key(hint.sub_type or mosip_id)]}
            if control == "dropdown" and level_key(hint.sub_type or "") == "zone":
                self._drop(
                    mosip_id,
                    path,
                    "OpenReg's locations have the levels region, province, city and "
                    "postal_code; a zone has no level (the CSV import puts its postal codes under its city)",
                )
                return None
            if key in DROPDOWN_SOURCES:
                return {"type": "dropdown", "source": DROPDOWN_SOURCES[key]}
            self._drop(
                mosip_id,
                path,
                f"a {control or 'dynamic'} field whose values come from MOSIP's "
                "dynamic_field master data; OpenReg has no master-data entity for them",
            )
            return None
        if control in ("agedate", "date"):
            return {"type": "date"}
        if control in ("checkbox", "html", "fileupload", "biometrics"):
            self._drop(mosip_id, path, f"control {hint.control!r} on a text field has no OpenReg equivalent")
            return None
        patterns = [v.get("validator") for v in prop.get("validators") or [] if isinstance(v, dict)]
        if not control and patterns and all(isinstance(p, str) and _is_mosip_date(p) for p in patterns):
            return {"type": "date"}
        return {"type": "text"}

    def _biometrics(self, prop: dict[str, Any], path: str) -> dict[str, Any]:
        attributes = [a for a in prop.get("bioAttributes") or [] if isinstance(a, str)]
        modalities = []
        for attribute in attributes:
            modality = BIO_MODALITIES.get(attribute) or ("finger" if attribute in FINGERS else None)
            if modality is None:
                self.report.not_converted(
                    self.source, f"{path}.bioAttributes", f"unknown attribute {attribute!r}"
                )
            elif modality not in modalities:
                modalities.append(modality)
        wanted = {
            m: {"iris": {"leftEye", "rightEye"}, "face": {"face"}, "finger": FINGERS}[m] for m in modalities
        }
        partial = [m for m, parts in wanted.items() if not parts <= set(attributes)]
        if partial:
            self.report.changed(
                self.source,
                f"{path}.bioAttributes",
                f"OpenReg captures whole modalities: all of {', '.join(partial)} is asked",
            )
        order = [m for m in ("finger", "iris", "face") if m in modalities]
        return {"type": "biometrics", "modalities": order or ["finger", "iris", "face"]}

    def _validators(self, prop: dict[str, Any], hint: FieldHint, kind: str, path: str) -> list[dict]:
        out: list[dict[str, Any]] = []
        raw = prop.get("validators") if isinstance(prop.get("validators"), list) else []
        for index, item in enumerate(raw):
            out += self._validator(item, kind, f"{path}.validators[{index}]", self.source)
        own = {(v.get("type"), v.get("validator")) for v in raw if isinstance(v, dict)}
        extra = [v for v in hint.validators if (v.get("type"), v.get("validator")) not in own]
        if extra and kind not in ("document", "biometrics"):
            source, _, where = hint.validators_from.partition(" ")
            for item in extra:
                found = self._validator(item, kind, where, source)
                if found:
                    self.report.changed(
                        source,
                        where,
                        "a UI-spec validator moved to the ID schema (OpenReg "
                        "checks validators on the kiosk and on the server)",
                    )
                out += found
        if kind == "number":
            bounds = {k: prop[k] for k in ("minimum", "maximum") if isinstance(prop.get(k), int | float)}
            if bounds:
                out.append({"type": "range", **{k[:3]: v for k, v in bounds.items()}})
        return out

    def _validator(self, item: Any, kind: str, path: str, source: str) -> list[dict[str, Any]]:
        if (
            not isinstance(item, dict)
            or item.get("type") != "regex"
            or not isinstance(item.get("validator"), str)
        ):
            self.report.not_converted(source, path, "only regex validators convert")
            return []
        if item.get("langCode"):
            self.report.not_converted(
                source, path, f"a validator of the {item['langCode']!r} value only: OpenReg keeps one value"
            )
            return []
        pattern = item["validator"]
        if kind == "date" and _is_mosip_date(pattern):
            self.report.changed(
                source,
                path,
                "MOSIP's YYYY/MM/DD pattern is dropped: OpenReg's date type "
                "checks the date itself (YYYY-MM-DD)",
            )
            return []
        length = _LENGTH.match(pattern)
        if length:
            low, high = int(length.group(1)), int(length.group(2))
            return [{"type": "length", **({"min": low} if low else {}), "max": high}]
        if len(pattern) > MAX_REGEX_LENGTH:
            self.report.not_converted(source, path, f"a pattern longer than {MAX_REGEX_LENGTH} characters")
            return []
        try:
            re.compile(pattern)
        except re.error as exc:
            self.report.not_converted(source, path, f"the pattern is not a Python regular expression: {exc}")
            return []
        return [{"type": "regex", "pattern": pattern}]

    def _date_of_birth(self) -> None:
        dates = [f["id"] for f in self.out.fields if f["type"] == "date"]
        for mosip_id, openreg_id in self.out.id_map.items():
            if openreg_id in dates and (self.hints.of(mosip_id).control or "").lower() == "agedate":
                self.out.date_of_birth = openreg_id
                return
        self.out.date_of_birth = "dateOfBirth" if "dateOfBirth" in dates else None

    def _parents(self) -> None:
        """Each location field's parent: the field of the nearest higher level present."""
        order = list(LOCATION_LEVELS.values())
        by_level = {f["level"]: f["id"] for f in self.out.fields if f["type"] == "location"}
        for item in self.out.fields:
            if item["type"] != "location" or item["level"] not in order:
                continue
            higher = [by_level[lv] for lv in order[: order.index(item["level"])] if lv in by_level]
            if higher:
                item["parent"] = higher[-1]


def first_condition(
    raw: Any, ctx: ConditionContext, report: ConversionReport, source: str, path: str
) -> str | None:
    """MOSIP's ``requiredOn`` list: its first MVEL condition converted (MOSIP evaluates that one);
    every other entry, and a condition that does not convert, is reported."""
    items = raw if isinstance(raw, list) else [raw]
    chosen = None
    for index, item in enumerate(items):
        where = f"{path}[{index}]" if isinstance(raw, list) else path
        is_mvel = isinstance(item, dict) and str(item.get("engine", "")).upper() == "MVEL"
        if chosen is not None or not is_mvel:
            report.not_converted(source, where, "only the first MVEL condition applies")
            continue
        try:
            chosen = convert_condition(item, ctx)
        except NotConvertible as exc:
            report.not_converted(source, f"{where}.expr", f"condition {item.get('expr')!r}: {exc}")
            return None
    return chosen


def convert_identity_schema(
    raw: dict[str, Any],
    *,
    hints: Hints,
    report: ConversionReport,
    source: str,
    age_groups: dict[str, tuple[int, int]],
) -> SchemaConversion:
    """The OpenReg fields of a MOSIP identity schema; ``ValueError`` when it is not one."""
    return _SchemaConverter(raw, hints, report, source).run(age_groups)

"""What MOSIP's UI specs say about each identity-schema field that the schema itself does not: its
control (a ``simpleType`` may be a text box, a location drop-down or a gender button), its
``subType`` (document category, location level), its update group and the validators it adds.

The update process is read first for groups (it is the process that uses them); controls and
validators come from the first process that shows the field (new, then update, then lost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LOCATION_LEVELS = {"region": "region", "province": "province", "city": "city", "postalcode": "postal_code"}
DOCUMENT_CATEGORIES = {  # MOSIP's usual document fields, for a schema converted without a UI spec
    "proofOfAddress": "POA",
    "proofOfIdentity": "POI",
    "proofOfRelationship": "POR",
    "proofOfDateOfBirth": "POB",
    "proofOfException": "POE",
}
_GROUP_NAME = re.compile(r"[^A-Za-z0-9_]")


def level_key(name: object) -> str:
    """'Postal Code' -> 'postalcode': how location level names are compared."""
    return re.sub(r"[^a-z]", "", str(name).lower())


def group_name(raw: object) -> str | None:
    """A MOSIP group as an OpenReg group name (letters, digits, _; starting with a letter)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    name = _GROUP_NAME.sub("_", raw.strip())[:64]
    return name if name[0].isalpha() else f"g_{name}"[:64]


@dataclass
class FieldHint:
    control: str | None = None
    sub_type: str | None = None
    group: str | None = None  # MOSIP's group name, as written
    validators: list[dict[str, Any]] = field(default_factory=list)
    validators_from: str = ""  # "<file> <json path>" of those validators, for the report


@dataclass
class Hints:
    fields: dict[str, FieldHint] = field(default_factory=dict)
    group_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # MOSIP group -> labels

    def of(self, field_id: str) -> FieldHint:
        return self.fields.get(field_id) or FieldHint()


def fields_of(process: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """(screen index, field index, field) of a process, in screen order as written."""
    out = []
    screens = process.get("screens") if isinstance(process.get("screens"), list) else []
    for s_index, screen in enumerate(screens):
        fields = screen.get("fields") if isinstance(screen, dict) else None
        for f_index, item in enumerate(fields if isinstance(fields, list) else []):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out.append((s_index, f_index, item))
    return out


def collect_hints(processes: list[tuple[str, str, dict[str, Any]]]) -> Hints:
    """Hints per MOSIP field id from ``(file, flow, process)`` triples."""
    hints = Hints()
    rank = {"new": 0, "update": 1, "lost": 2}
    for source, _flow, process in sorted(processes, key=lambda p: rank.get(p[1], 3)):
        for s_index, f_index, item in fields_of(process):
            hint = hints.fields.setdefault(item["id"], FieldHint())
            if hint.control is None and isinstance(item.get("controlType"), str):
                hint.control = item["controlType"]
                hint.sub_type = item.get("subType") if isinstance(item.get("subType"), str) else None
                validators = item.get("validators")
                if isinstance(validators, list) and validators:
                    hint.validators = [v for v in validators if isinstance(v, dict)]
                    hint.validators_from = f"{source} $.screens[{s_index}].fields[{f_index}].validators"
    # Groups matter to updates: taken from the update process when there is one.
    grouping = [p for p in processes if p[1] == "update"] or processes
    for _source, _flow, process in grouping:
        for _s, _f, item in fields_of(process):
            group = item.get("group")
            if not isinstance(group, str):
                continue
            hint = hints.fields.setdefault(item["id"], FieldHint())
            hint.group = hint.group or group
            labels = item.get("groupLabel")
            if group not in hints.group_labels and isinstance(labels, dict):
                clean = {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}
                if clean:
                    hints.group_labels[group] = clean
    return hints

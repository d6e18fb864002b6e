"""A MOSIP registration-client process (``newProcess``, ``updateProcess``, ``lostProcess``: screens of
fields with ``controlType``, ``required``/``requiredOn``, ``visible``) as an OpenReg UI spec row.

OpenReg screens have one kind each (demographics, documents, biometrics) and the kiosk walks them in
that order, so a mixed MOSIP screen is split and screens are ordered by kind. MOSIP's consent text
(an ``html`` field naming a template) and its consent checkbox become OpenReg's one ``consent`` field,
first on the first screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sync_server.masterdata_mosip.conditions import NotConvertible, convert_condition
from sync_server.masterdata_mosip.hints import Hints, group_name
from sync_server.masterdata_mosip.report import ConversionReport, json_path
from sync_server.masterdata_mosip.schema import SchemaConversion, first_condition

FLOWS = {"NEW": "new", "UPDATE": "update", "LOST": "lost"}
RTL = {"ara", "heb", "fas", "per", "urd", "pus", "yid", "syr", "div", "ckb", "snd", "uig"}
KIND_OF_TYPE = {"document": "documents", "biometrics": "biometrics"}
KIND_ORDER = ("demographics", "documents", "biometrics")
OTHER_BIOMETRICS = {
    "introducer": "OpenReg captures the applicant's biometrics only, not a second person's",
    "applicant-auth": "OpenReg's update authenticates with the applicant's own captures when biometrics "
    "are not being changed (no field of its own)",
}
IGNORED_WHEN_SET = {
    "conditionalBioAttributes": "OpenReg asks the same modalities at every age (missing ones are "
    "exceptions a supervisor approves)",
    "changeAction": "OpenReg has no change actions",
    "fieldLayout": "OpenReg lays fields out itself",
    "locationHierarchy": "OpenReg's locations follow the schema's location fields",
}


@dataclass(frozen=True)
class SpecOptions:
    spec_id: str
    version: int
    schema_id: str
    default_language: str | None = None
    second_language: str | None = None
    consent_template: str | None = None
    age_groups: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class ProcessResult:
    flow: str
    row: dict[str, Any]
    total: int = 0
    converted: list[str] = field(default_factory=list)  # MOSIP ids placed on a screen (or merged)
    unchanged: list[str] = field(default_factory=list)  # ... with nothing reported about them
    not_converted: list[str] = field(default_factory=list)


def flow_of(process: dict[str, Any]) -> str | None:
    for key in ("flow", "id"):
        value = process.get(key)
        if isinstance(value, str) and value.upper() in FLOWS:
            return FLOWS[value.upper()]
    return None


def _labels(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def template_id(name: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", (name or "").lower()).strip("_")
    return slug[:64] or "registration_consent"


class _ProcessConverter:
    def __init__(self, process, flow, schema: SchemaConversion, hints: Hints, report, source, options):
        self.p, self.flow, self.schema, self.hints = process, flow, schema, hints
        self.report: ConversionReport = report
        self.source, self.options = source, options
        self.result = ProcessResult(flow=flow, row={})
        self.template: str | None = None
        self.groups = self._demographic_groups()
        self._paths: dict[str, str] = {}  # MOSIP id -> where it first is, for "unchanged"

    def _demographic_groups(self) -> dict[str, tuple[str, ...]]:
        """MOSIP group -> the converted demographic fields of this process in it (for conditions)."""
        found: dict[str, list[str]] = {}
        for screen in self.p.get("screens") or []:
            for item in screen.get("fields") or [] if isinstance(screen, dict) else []:
                if not isinstance(item, dict) or not isinstance(item.get("group"), str):
                    continue
                target = self.schema.field(self.schema.id_map.get(item.get("id"), ""))
                if target is not None and target["type"] not in ("document", "biometrics"):
                    found.setdefault(item["group"], []).append(target["id"])
        return {g: tuple(ids) for g, ids in found.items()}

    def run(self) -> ProcessResult:
        screens: list[tuple[str, str, dict[str, str], list[dict]]] = []  # kind, id, labels, fields
        raw_screens = self.p.get("screens") if isinstance(self.p.get("screens"), list) else []
        for s_index, screen in enumerate(raw_screens):
            if not isinstance(screen, dict):
                continue
            placed: dict[str, list[dict]] = {}
            for f_index, item in enumerate(screen.get("fields") or []):
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                self.result.total += 1
                path = json_path("screens", s_index, "fields", f_index)
                kind_and_field = self._field(item, path)
                if kind_and_field is None:
                    continue
                kind, ui_field = kind_and_field
                placed.setdefault(kind, []).append(ui_field)
            name = re.sub(r"[^A-Za-z0-9_]", "_", str(screen.get("name") or f"screen{s_index + 1}"))
            labels = _labels(screen.get("label"))
            if len(placed) > 1:
                self.report.changed(
                    self.source,
                    json_path("screens", s_index),
                    f"split into {', '.join(placed)} screens (an OpenReg screen has one kind)",
                )
            for kind, fields in placed.items():
                screen_id = name if len(placed) == 1 else f"{name}_{kind}"
                screens.append((kind, screen_id, labels, fields))
        ordered = sorted(screens, key=lambda s: KIND_ORDER.index(s[0]))
        if [s[1] for s in ordered] != [s[1] for s in screens]:
            self.report.changed(
                self.source,
                "$.screens",
                "screens ordered demographics, documents, biometrics: the order the kiosk walks them",
            )
        self._consent_first(ordered)
        self.result.row = self._row(ordered)
        self.result.unchanged = [
            mosip_id
            for mosip_id, path in self._paths.items()
            if mosip_id in self.result.converted and not self.report.touches(self.source, path)
        ]
        return self.result

    def _field(self, item: dict[str, Any], path: str) -> tuple[str, dict[str, Any]] | None:
        mosip_id, control = item["id"], str(item.get("controlType") or "").lower()
        self._paths.setdefault(mosip_id, path)
        if control == "html":
            self.template = self.template or (item.get("templateName") or None)
            self.report.changed(
                self.source,
                path,
                "MOSIP's consent text becomes the consent field's "
                "template (its text is a 'templates' master-data row; see docs/forms.md)",
            )
            self.result.converted.append(mosip_id)
            return None
        if control == "checkbox" and "consent" in (mosip_id.lower(), str(item.get("subType")).lower()):
            self.result.converted.append(mosip_id)
            return "demographics", self._consent(item)
        openreg_id = self.schema.id_map.get(mosip_id)
        if openreg_id is None:
            why = self.schema.dropped.get(mosip_id, "it is not a property of the identity schema")
            return self._skip(mosip_id, path, why)
        spec = self.schema.field(openreg_id) or {}
        sub_type = str(item.get("subType") or "")
        if spec.get("type") == "biometrics" and sub_type in OTHER_BIOMETRICS:
            return self._skip(mosip_id, path, OTHER_BIOMETRICS[sub_type])
        ui: dict[str, Any] = {"id": openreg_id, "control": spec["type"], "labels": _labels(item.get("label"))}
        ctx = self.schema.context(
            age_groups=self.options.age_groups, update_groups=self.groups if self.flow == "update" else None
        )
        if item.get("requiredOn"):
            condition = first_condition(
                item["requiredOn"], ctx, self.report, self.source, f"{path}.requiredOn"
            )
            if condition:
                ui["required_on"] = condition
                self._note_update_condition(item["requiredOn"], f"{path}.requiredOn")
        elif item.get("required") is True:
            ui["required"] = True
        if item.get("visible"):
            try:
                ui["visible_on"] = convert_condition(item["visible"], ctx)
            except NotConvertible as exc:
                expr = item["visible"].get("expr") if isinstance(item["visible"], dict) else item["visible"]
                self.report.not_converted(self.source, f"{path}.visible", f"condition {expr!r}: {exc}")
        for key, why in IGNORED_WHEN_SET.items():
            if item.get(key):
                self.report.not_converted(self.source, f"{path}.{key}", why)
        if item.get("transliterate") is True:
            self.report.not_converted(self.source, f"{path}.transliterate", "OpenReg does not transliterate")
        self.result.converted.append(mosip_id)
        return KIND_OF_TYPE.get(spec["type"], "demographics"), ui

    def _note_update_condition(self, raw: Any, path: str) -> None:
        if self.flow == "update" and "updatableFieldGroups" in str(raw):
            self.report.changed(
                self.source,
                path,
                "'the update changes group G' reads as 'a field of G "
                "has a value' (an OpenReg update form holds only the groups it changes)",
            )

    def _skip(self, mosip_id: str, path: str, why: str) -> None:
        self.report.not_converted(self.source, path, why)
        self.result.not_converted.append(mosip_id)
        return None

    def _consent(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._consent_field(),
            "control": "consent",
            "required": item.get("required") is True,
            "template": "",  # filled once the consent text's template is known
            "labels": _labels(item.get("label")),
        }

    def _consent_field(self) -> str:
        existing = next((f["id"] for f in self.schema.fields if f["type"] == "consent"), None)
        if existing:
            return existing
        taken = {f["id"] for f in self.schema.fields}
        field_id = "consent" if "consent" not in taken else "consent_agreed"
        self.schema.fields.insert(0, {"id": field_id, "type": "consent"})
        return field_id

    def _consent_first(self, screens: list[tuple[str, str, dict[str, str], list[dict]]]) -> None:
        consent = [(s, f) for s in screens for f in s[3] if f.get("control") == "consent"]
        if not consent:
            return
        template = self.options.consent_template or template_id(self.template)
        for _screen, ui in consent:
            ui["template"] = template
        screen, ui = consent[0]
        if screens[0] is not screen or screen[3][0] is not ui:
            self.report.changed(self.source, "$.screens", "the consent is moved first on the first screen")
            screen[3].remove(ui)
            screens[0][3].insert(0, ui)

    def _languages(self) -> dict[str, Any]:
        seen: list[str] = []
        for labels in [
            self.p.get("label"),
            *(s.get("label") for s in self.p.get("screens") or [] if isinstance(s, dict)),
        ]:
            seen += [k for k in _labels(labels) if k not in seen]
        default = self.options.default_language or (seen[0] if seen else "eng")
        available = [default, *[lang for lang in seen if lang != default]]
        second = self.options.second_language
        if second is None and len(available) > 1:
            second = available[1]
        if second and second not in available:
            available.append(second)
        out: dict[str, Any] = {
            "default": default,
            "available": available,
            "rtl": [lang for lang in available if lang in RTL],
        }
        return out | ({"second": second} if second else {})

    def _row(self, screens: list[tuple[str, str, dict[str, str], list[dict]]]) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "version": self.options.version,
            "schema_id": self.options.schema_id,
            "flow": self.flow,
            "languages": self._languages(),
            "screens": [{"id": i, "kind": k, "labels": lab, "fields": f} for k, i, lab, f in screens],
        }
        for key, why in (
            ("autoSelectedGroups", "OpenReg's officer chooses every group an update changes"),
            ("isSubProcess", "OpenReg has no sub-processes"),
        ):
            if self.p.get(key):
                self.report.not_converted(self.source, json_path(key), why)
        if self.p.get("isActive") is False:
            self.report.changed(self.source, "$.isActive", "inactive in MOSIP; converted all the same")
        if self.flow == "update":
            spec["groups"] = self._update_groups(spec["screens"])
        return {"id": self.options.spec_id, "version": self.options.version, "spec": spec}

    def _update_groups(self, screens: list[dict[str, Any]]) -> list[dict[str, Any]]:
        placed = {f["id"] for s in screens for f in s["fields"]}
        by_group: dict[str, list[str]] = {}
        for item in self.schema.fields:
            if item.get("group"):
                by_group.setdefault(item["group"], []).append(item["id"])
        labels_of = {group_name(g): labels for g, labels in self.hints.group_labels.items()}
        groups: list[dict[str, Any]] = []
        for item in (f for s in screens for f in s["fields"]):
            group = (self.schema.field(item["id"]) or {}).get("group")
            if not group or any(g["id"] == group for g in groups):
                continue
            if not set(by_group[group]) <= placed:
                self.report.changed(
                    self.source,
                    "$.screens",
                    f"group {group!r} is not offered: some of its fields are not on this process's screens",
                )
                continue
            groups.append({"id": group, "labels": labels_of.get(group) or {"eng": group}})
        for kind in ("documents", "biometrics"):
            if any(s["kind"] == kind for s in screens):
                groups.append(
                    {"id": kind, "labels": labels_of.get(kind.capitalize()) or {"eng": kind.capitalize()}}
                )
        return groups[:32]


def convert_process(
    process: dict[str, Any],
    *,
    flow: str,
    schema: SchemaConversion,
    hints: Hints,
    report: ConversionReport,
    source: str,
    options: SpecOptions,
) -> ProcessResult:
    """The OpenReg UI spec row of one MOSIP process; adds the consent field to ``schema`` if needed."""
    return _ProcessConverter(process, flow, schema, hints, report, source, options).run()

"""The report editor's form as data, without HTTP or services: a spec (its JSON dict) to the form's
values, the posted form to values (kept as typed, to show again after a refusal), and values to the
spec dict that ``parse_spec`` checks.

Rows (parameters, column mappings, validations, routes) are numbered fields (``p0_name``, ``m1_set``,
``v0_kind``, ``r2_destination``); a row left empty is dropped. What a row holds that the form does
not edit (a parameter's lookup, a route's size bounds and formats, an SQL check's connector, the
schedule's weekend) travels in the row's hidden ``*_extra`` JSON, so a form save keeps it.
Numbers stay text here: pydantic converts them and names the field when one is not a number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from sync_server.reports.spec import SERVER_CONNECTOR, Transform

PARAMETER_TYPES = ("string", "integer", "number", "date", "boolean")
SEVERITIES = ("blocking", "warning")
EXPECTS = ("no_rows", "count")
RUN_STATUSES = ("succeeded", "warning", "failed")
FORMATS = ("csv", "json", "xml", "pdf")
BUSINESS_DAYS = ("any", "skip", "next", "previous")
SOURCE_KINDS = ("builtin", "sql", "input")
LIMITS = ("timeout_s", "cpu_s", "memory_mb", "max_output_mb")
LIMIT_DEFAULTS = {name: Transform.model_fields[name].default for name in LIMITS}
# the most rows of each list a spec holds (spec.py), and the empty rows shown to add more
MAX_ROWS = {"parameters": 32, "mappings": 16, "validations": 32, "routes": 16}
SPARE_ROWS = 2
FIELD_LIMIT = 250_000  # beyond any field the spec accepts: pydantic refuses, nothing is cut silently
# each list's field prefix and its fields per row (checkboxes and checkbox groups named below)
ROW_FIELDS = {
    "parameters": ("p", ("name", "type", "default", "required", "extra")),
    "mappings": ("m", ("column", "set", "as")),
    "validations": ("v", ("kind", "name", "text", "expect", "min", "max", "severity", "extra")),
    "routes": ("r", ("destination", "statuses", "weekdays", "extra")),
}
CHECKBOXES = {"required"}
GROUPS = {"statuses", "weekdays"}


class FormProblem(ValueError):
    """A field the form cannot turn into spec data: ``where`` (the spec path) and a words key."""

    def __init__(self, where: str, key: str) -> None:
        super().__init__(f"{where}: {key}")
        self.where = where
        self.key = key


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _extra(data: Mapping[str, Any], known: set[str]) -> str:
    rest = {k: v for k, v in data.items() if k not in known and v is not None}
    return json.dumps(rest, ensure_ascii=False, separators=(",", ":")) if rest else ""


def values_from_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for a stored spec (``ReportSpec.model_dump(mode="json")``)."""
    source = spec.get("source") or {}
    transform = spec.get("transform") or {}
    xml = spec.get("xml") or {}
    schedule = spec.get("schedule") or {}
    triggers = spec.get("triggers") or {}
    file = triggers.get("file") or {}
    watermark = triggers.get("watermark") or {}
    return {
        "title": spec.get("title", ""),
        "description": spec.get("description", ""),
        "active": spec.get("active", True),
        "source_kind": source.get("kind", "sql"),
        "source_function": source.get("function", ""),
        "source_arguments": "\n".join(
            f"{k} = {_text(v)}" for k, v in (source.get("parameters") or {}).items()
        ),
        "source_connector": source.get("connector", SERVER_CONNECTOR),
        "source_query": source.get("query", ""),
        "parameters": [
            {
                "name": p["name"],
                "type": p.get("type", "string"),
                "default": _text(p.get("default")),
                "required": bool(p.get("required")),
                "extra": _extra(p, {"name", "type", "default", "required"}),
            }
            for p in spec.get("parameters") or []
        ],
        "mappings": [
            {"column": m["column"], "set": m["set"], "as": m["as_column"]} for m in spec.get("mappings") or []
        ],
        "transform_code": transform.get("code", ""),
        "transform_mappings": list(transform.get("mappings") or []),
        **{f"transform_{k}": _text(transform.get(k, d)) for k, d in LIMIT_DEFAULTS.items()},
        "validations": [
            {
                "kind": v.get("kind", "rule"),
                "name": v.get("name", ""),
                "text": v.get("expression") or v.get("query") or "",
                "expect": v.get("expect", "no_rows"),
                "min": _text(v.get("min")),
                "max": _text(v.get("max")),
                "severity": v.get("severity", "blocking"),
                "extra": _extra(
                    v, {"kind", "name", "expression", "query", "expect", "min", "max", "severity"}
                ),
            }
            for v in spec.get("validations") or []
        ],
        "formats": list(spec.get("formats") or []),
        "xml_root": xml.get("root", "report"),
        "xml_row": xml.get("row", "row"),
        "xml_xsd": xml.get("xsd") or "",
        "routes": [
            {
                "destination": r["destination"],
                "statuses": list(r.get("statuses") or []),
                "weekdays": [str(d) for d in r.get("weekdays") or []],
                "extra": _extra(r, {"destination", "statuses", "weekdays"}),
            }
            for r in spec.get("routes") or []
        ],
        "cron": schedule.get("cron") or "",
        "timezone": schedule.get("timezone", "UTC"),
        "business_days": schedule.get("business_days", "any"),
        "holiday_country": schedule.get("holiday_country") or "",
        "holiday_subdivision": schedule.get("holiday_subdivision") or "",
        "schedule_extra": _extra(
            schedule, {"cron", "timezone", "business_days", "holiday_country", "holiday_subdivision"}
        ),
        "file_folder": file.get("folder", ""),
        "file_pattern": file.get("pattern", "*"),
        "watermark_connector": watermark.get("connector", SERVER_CONNECTOR),
        "watermark_query": watermark.get("query", ""),
        "webhook": bool(triggers.get("webhook")),
        "after": list(triggers.get("after") or []),
    }


def blank_values() -> dict[str, Any]:
    """The form of a new report: an SQL report on the server's database, CSV and JSON files."""
    return values_from_spec({"source": {"kind": "sql"}, "formats": ["csv", "json"]})


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n")[:FIELD_LIMIT] if isinstance(value, str) else ""


def _list(form: FormData, name: str) -> list[str]:
    return [v[:200] for v in form.getlist(name) if isinstance(v, str)][:64]


def _rows(form: FormData, key: str) -> list[dict[str, Any]]:
    prefix, fields = ROW_FIELDS[key]
    rows = []
    for index in range(MAX_ROWS[key] + SPARE_ROWS):
        if f"{prefix}{index}_{fields[0]}" not in form:
            break
        row: dict[str, Any] = {}
        for name in fields:
            field = f"{prefix}{index}_{name}"
            if name in CHECKBOXES:
                row[name] = field in form
            elif name in GROUPS:
                row[name] = _list(form, field)
            else:
                value = _field(form, field)
                row[name] = value if name == "text" else value.strip()  # SQL keeps its layout
        rows.append(row)
    return rows


def values_from_form(form: FormData) -> dict[str, Any]:
    """The posted editor form as values (what ``values_from_spec`` gives), as the user typed them."""
    values = blank_values()
    for name, value in values.items():
        if isinstance(value, bool):
            values[name] = name in form
        elif isinstance(value, list) and name not in ROW_FIELDS:
            values[name] = _list(form, name)
        elif isinstance(value, str):
            values[name] = _field(form, name)
    for key in ROW_FIELDS:
        values[key] = _rows(form, key)
    return values


def with_spare_rows(values: dict[str, Any], *, keep_empty: bool = False) -> dict[str, Any]:
    """``values`` without its empty rows (``keep_empty``: with them), then a few empty rows to add
    more (up to each list's most)."""
    empty = {
        "parameters": {"name": "", "type": "string", "default": "", "required": False, "extra": ""},
        "mappings": {"column": "", "set": "", "as": ""},
        "validations": {
            "kind": "rule",
            "name": "",
            "text": "",
            "expect": "no_rows",
            "min": "",
            "max": "",
            "severity": "blocking",
            "extra": "",
        },
        "routes": {"destination": "", "statuses": ["succeeded", "warning"], "weekdays": [], "extra": ""},
    }
    padded = dict(values)
    for key, blank in empty.items():
        rows = [r for r in values[key] if keep_empty or not _unused(key, r)][: MAX_ROWS[key] + SPARE_ROWS]
        spare = max(0, min(SPARE_ROWS, MAX_ROWS[key] + SPARE_ROWS - len(rows)))
        padded[key] = rows + [dict(blank) for _ in range(spare)]
    return padded


def _unused(key: str, row: Mapping[str, Any]) -> bool:
    if key == "parameters":
        return not (row["name"] or row["default"].strip())
    if key == "mappings":
        return not (row["column"] or row["set"] or row["as"])
    if key == "validations":
        return not (row["name"] or row["text"].strip())
    return not row["destination"]


def _json_extra(where: str, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        extra = json.loads(text)
    except ValueError:
        raise FormProblem(where, "reports.edit.problem_extra") from None
    if not isinstance(extra, dict):
        raise FormProblem(where, "reports.edit.problem_extra")
    return extra


def _default(where: str, kind: str, text: str) -> Any:
    """A parameter's default as its type (the spec keeps any scalar; a run would refuse a wrong one)."""
    text = text.strip()
    if not text:
        return None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        raise FormProblem(where, f"reports.edit.problem_{kind}") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise FormProblem(where, "reports.edit.problem_boolean")
        return text.lower() in ("true", "1", "yes")
    return text


def _arguments(text: str) -> dict[str, Any]:
    """``name = value`` lines (a built-in function's fixed arguments); numbers and true/false typed."""
    arguments: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        if not sep or not name.strip():
            raise FormProblem(f"source.parameters line {number}", "reports.edit.problem_argument")
        raw = raw.strip()
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        arguments[name.strip()] = value if isinstance(value, int | float | bool | str) else raw
    return arguments


def spec_from_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The spec dict the form's values stand for (``FormProblem`` for a field no spec can hold)."""
    kind = values["source_kind"]
    if kind == "builtin":
        source: dict[str, Any] = {
            "kind": kind,
            "function": values["source_function"],
            "parameters": _arguments(values["source_arguments"]),
        }
    elif kind == "sql":
        source = {"kind": kind, "connector": values["source_connector"], "query": values["source_query"]}
    else:
        source = {"kind": kind}
    parameters = [
        _json_extra(f"parameters.{i}", p["extra"])
        | {
            "name": p["name"],
            "type": p["type"],
            "default": _default(f"parameters.{i}.default", p["type"], p["default"]),
            "required": p["required"],
        }
        for i, p in enumerate(r for r in values["parameters"] if not _unused("parameters", r))
    ]
    validations = []
    for i, v in enumerate(r for r in values["validations"] if not _unused("validations", r)):
        row = _json_extra(f"validations.{i}", v["extra"]) | {
            "kind": v["kind"],
            "name": v["name"],
            "severity": v["severity"],
        }
        if v["kind"] == "sql":
            row |= {
                "query": v["text"],
                "expect": v["expect"],
                "min": v["min"] or None,
                "max": v["max"] or None,
            }
        else:
            row |= {"expression": v["text"].strip()}
        validations.append(row)
    code = values["transform_code"]
    transform = (
        {"code": code, "mappings": values["transform_mappings"]}
        | {k: values[f"transform_{k}"] or LIMIT_DEFAULTS[k] for k in LIMITS}
        if code.strip()
        else None
    )
    schedule = _json_extra("schedule", values["schedule_extra"]) | {
        "cron": values["cron"].strip() or None,
        "timezone": values["timezone"].strip() or "UTC",
        "business_days": values["business_days"],
        "holiday_country": values["holiday_country"].strip().upper() or None,
        "holiday_subdivision": values["holiday_subdivision"].strip() or None,
    }
    folder, query = values["file_folder"].strip(), values["watermark_query"].strip()
    return {
        "title": values["title"].strip(),
        "description": values["description"].strip(),
        "active": values["active"],
        "source": source,
        "parameters": parameters,
        "mappings": [
            {"column": m["column"], "set": m["set"], "as_column": m["as"]}
            for m in values["mappings"]
            if not _unused("mappings", m)
        ],
        "transform": transform,
        "validations": validations,
        "formats": values["formats"],
        "xml": {
            "root": values["xml_root"].strip() or "report",
            "row": values["xml_row"].strip() or "row",
            "xsd": values["xml_xsd"] if values["xml_xsd"].strip() else None,
        },
        "routes": [
            _json_extra(f"routes.{i}", r["extra"])
            | {"destination": r["destination"], "statuses": r["statuses"], "weekdays": r["weekdays"] or None}
            for i, r in enumerate(x for x in values["routes"] if not _unused("routes", x))
        ],
        "schedule": schedule,
        "triggers": {
            "file": {"folder": folder, "pattern": values["file_pattern"].strip() or "*"} if folder else None,
            "watermark": {"connector": values["watermark_connector"], "query": query} if query else None,
            "webhook": values["webhook"],
            "after": values["after"],
        },
    }

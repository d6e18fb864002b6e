"""The server's own OpenAPI document as a list of operations, each with plausible parameter values.

Values are plausible (they satisfy the declared pattern, type and bounds) but name nothing that
exists: a probe that slips past a missing check then hits "not found" instead of changing a real
machine, user or report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from security_rig.target import Target

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
MAX_OPERATIONS = 2000
_CANDIDATES = ("rig-probe-0", "rigprobe0", "rig_probe", "rigprobe", "security rig probe", "r")
_LENGTH = re.compile(r"\{(\d+)(?:,(\d*))?\}")


class DocumentError(Exception):
    """The OpenAPI document could not be fetched or read."""


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path, query, header
    schema: dict[str, Any]
    required: bool


@dataclass
class Operation:
    method: str  # upper case
    path: str  # the template, e.g. /api/v1/admin/machines/{machine_id}/approve
    secured: bool  # the document names a security requirement
    params: list[Param] = field(default_factory=list)
    body_types: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def path_with(self, values: dict[str, str] | None = None) -> str:
        """The path with every path parameter filled (``values`` first, else a plausible value)."""
        path = self.path
        for p in self.params:
            if p.where == "path":
                value = (values or {}).get(p.name, plausible(p.schema, p.name))
                path = path.replace("{" + p.name + "}", value)
        return path

    def query(self) -> dict[str, str]:
        return {p.name: plausible(p.schema, p.name) for p in self.params if p.where == "query" and p.required}

    def headers(self) -> dict[str, str]:
        sent = {
            p.name: plausible(p.schema, p.name) for p in self.params if p.where == "header" and p.required
        }
        for p in self.params:  # protocol headers with one allowed value (Tus-Resumable: 1.0.0)
            enum = _enum(p.schema)
            if p.where == "header" and enum:
                sent[p.name] = str(enum[0])
        return sent

    def body(self) -> tuple[bytes | None, dict[str, str]]:
        """An empty but well-formed body for this operation, and its Content-Type."""
        if not self.body_types:
            if self.method == "PATCH":  # a tus upload chunk: its bytes are not described as a body
                return b"", {"Content-Type": "application/offset+octet-stream"}
            return None, {}
        if "application/json" in self.body_types:
            return b"{}", {"Content-Type": "application/json"}
        if "application/x-www-form-urlencoded" in self.body_types:
            return b"", {"Content-Type": "application/x-www-form-urlencoded"}
        return b"", {"Content-Type": self.body_types[0]}


def _enum(schema: dict[str, Any]) -> list[Any]:
    if "enum" in schema:
        return list(schema["enum"])
    for option in schema.get("anyOf", []):
        if isinstance(option, dict) and "enum" in option:
            return list(option["enum"])
    return []


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an ``anyOf: [X, null]``."""
    for option in schema.get("anyOf", []):
        if isinstance(option, dict) and option.get("type") != "null":
            return {**option, **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def plausible(schema: dict[str, Any], name: str = "") -> str:
    """A value that passes ``schema``'s type, bounds and pattern and is unlikely to exist."""
    schema = _plain(schema)
    enum = _enum(schema)
    if enum:
        return str(enum[0])
    if schema.get("type") == "integer":
        top = schema.get("maximum")
        low = schema.get("minimum", 1)
        return str(max(low, min(top, 2_000_000_001)) if isinstance(top, int) else max(low, 987_654))
    if schema.get("type") == "number":
        return str(schema.get("minimum", 1))
    pattern = schema.get("pattern")
    low, high = schema.get("minLength", 1), schema.get("maxLength", 10_000)
    candidates = [*_CANDIDATES]
    if pattern:
        for m in _LENGTH.finditer(pattern):  # digit strings of the lengths the pattern names
            candidates += ["9" * int(m.group(1)), "9" * max(int(m.group(1)), 5)]
        candidates += ["9" * n for n in range(1, 41)]
    if name == "purpose":
        candidates.insert(0, "security rig probe")
    for value in candidates:
        if low <= len(value) <= high and (not pattern or re.search(pattern, value)):
            return value
    return "rig-probe-0"


def _secured(op: dict[str, Any], default: list[Any] | None) -> bool:
    security = op.get("security", default)
    return bool(security) and any(requirement for requirement in security)


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Every operation of ``doc`` (bounded), in document order."""
    found: list[Operation] = []
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise DocumentError("the document has no paths")
    default = doc.get("security")
    for path, item in paths.items():
        if not isinstance(item, dict) or not isinstance(path, str) or not path.startswith("/"):
            continue
        shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = [
                Param(p["name"], p["in"], p.get("schema", {}), bool(p.get("required")))
                for p in [*shared, *op.get("parameters", [])]
                if isinstance(p, dict)
                and isinstance(p.get("name"), str)
                and p.get("in") in ("path", "query", "header")
            ]
            content = (op.get("requestBody") or {}).get("content") or {}
            found.append(Operation(method.upper(), path, _secured(op, default), params, list(content)))
            if len(found) >= MAX_OPERATIONS:
                return found
    return found


def fetch(target: Target, path: str = "/openapi.json") -> list[Operation]:
    reply = target.request("GET", path, max_bytes=8 * 1024 * 1024, timeout=30)
    if reply.status != 200:
        raise DocumentError(f"GET {path} answered {reply.brief()}")
    doc = reply.json()
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3"):
        raise DocumentError(f"{path} is not an OpenAPI 3 document")
    return operations(doc)

"""Differences between two JSON Schemas (pydantic's dialect), judged by who reads the data.

The rules, for data an old peer sends (``request``) or reads (``response``):

* a removed property is breaking (an old peer sends or expects it);
* a new property is breaking in a request only if required, in a response only where the old schema
  forbade unknown properties (``additionalProperties: false``: an old kiosk refuses the reply);
* types and enum values may widen in a request and narrow in a response, anything else is breaking;
* a property that becomes required is breaking in a request; one that stops being required is breaking
  in a response; changed constraints (lengths, bounds, patterns) likewise by direction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.interface_gate.changes import Change, Direction

Schema = dict[str, Any]
_BOUNDS_UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_BOUNDS_LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


class SchemaDiff:
    """Compares schemas that may ``$ref`` into their own roots (``#/components/schemas/X`` or ``#/$defs/X``).

    ``open_enums`` names definitions whose readers accept unknown values (an error code newer than the
    kiosk stays a string), so an added value is compatible in every direction."""

    def __init__(
        self, contract: str, old_root: Schema, new_root: Schema, *, open_enums: frozenset[str] = frozenset()
    ) -> None:
        self.contract, self.old_root, self.new_root, self.open_enums = (
            contract,
            old_root,
            new_root,
            open_enums,
        )
        self._seen: set[tuple[str, str, Direction]] = set()

    def compare(self, old: Schema, new: Schema, *, where: str, direction: Direction) -> Iterator[Change]:
        old_ref, new_ref = old.get("$ref"), new.get("$ref")
        if old_ref or new_ref:
            key = (str(old_ref), str(new_ref), direction)
            if key in self._seen:  # recursive or shared definitions: once per direction
                return
            self._seen.add(key)
        name = _ref_name(new_ref) or _ref_name(old_ref)
        old, new = resolve(old, self.old_root), resolve(new, self.new_root)
        yield from self._types(old, new, where, direction)
        yield from self._enum(old, new, where, direction, open_enum=name in self.open_enums)
        yield from self._bounds(old, new, where, direction)
        yield from self._properties(old, new, where, direction)
        for key in ("items", "additionalProperties"):
            if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
                yield from self.compare(old[key], new[key], where=f"{where}/{key}", direction=direction)
        old_branches, new_branches = _branches(old), _branches(new)
        if len(old_branches) > 1 and len(old_branches) == len(new_branches):
            for i, (a, b) in enumerate(zip(old_branches, new_branches, strict=True)):
                yield from self.compare(a, b, where=f"{where}/anyOf/{i}", direction=direction)

    def _change(self, breaking: bool, where: str, what: str) -> Change:
        return Change(breaking, self.contract, where, what)

    def _judge(self, widened: bool, narrowed: bool, direction: Direction) -> bool:
        """Breaking? A request may widen, a response may narrow; ``both`` allows neither."""
        if direction == "request":
            return not widened
        if direction == "response":
            return not narrowed
        return True

    def _types(self, old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[Change]:
        a, b = _types(old, self.old_root), _types(new, self.new_root)
        if a and b and a != b:
            breaking = self._judge(b >= a, b <= a, direction)
            yield self._change(breaking, where, f"type {sorted(a)} -> {sorted(b)}")

    def _enum(
        self, old: Schema, new: Schema, where: str, direction: Direction, *, open_enum: bool
    ) -> Iterator[Change]:
        a, b = _enum(old), _enum(new)
        if a == b:
            return
        if a is None or b is None:
            yield self._change(self._judge(b is None, a is None, direction), where, "enum added or removed")
            return
        added, removed = sorted(b - a, key=str), sorted(a - b, key=str)
        if removed:
            breaking = open_enum or self._judge(False, True, direction)
            yield self._change(breaking, where, f"enum values removed {removed}")
        if added:
            breaking = not open_enum and self._judge(True, False, direction)
            yield self._change(breaking, where, f"enum values added {added}")

    def _bounds(self, old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[Change]:
        for key in (*_BOUNDS_UPPER, *_BOUNDS_LOWER, "pattern", "format", "const"):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            if key in _BOUNDS_UPPER:
                wider = b is None or (a is not None and b > a)
            elif key in _BOUNDS_LOWER:
                wider = b is None or (a is not None and b < a)
            else:
                wider = b is None
            narrower = not wider if key in (*_BOUNDS_UPPER, *_BOUNDS_LOWER) else a is None
            yield self._change(self._judge(wider, narrower, direction), where, f"{key} {a!r} -> {b!r}")

    def _properties(self, old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[Change]:
        a, b = old.get("properties") or {}, new.get("properties") or {}
        req_a, req_b = set(old.get("required") or ()), set(new.get("required") or ())
        closed = old.get("additionalProperties") is False
        for name in sorted(a.keys() - b.keys()):
            yield self._change(True, f"{where}/{name}", "property removed")
        for name in sorted(b.keys() - a.keys()):
            required = name in req_b
            breaking = {
                "request": required,
                "response": closed,
                "both": required or closed,
            }[direction]
            why = "required" if required else "optional"
            closed_note = (
                " to a reply that forbids unknown properties" if closed and direction != "request" else ""
            )
            yield self._change(breaking, f"{where}/{name}", f"{why} property added{closed_note}")
        for name in sorted(a.keys() & b.keys()):
            if name in req_b and name not in req_a:
                yield self._change(direction != "response", f"{where}/{name}", "became required")
            elif name in req_a and name not in req_b:
                yield self._change(direction != "request", f"{where}/{name}", "no longer required")
            yield from self.compare(a[name], b[name], where=f"{where}/{name}", direction=direction)


def resolve(schema: Schema, root: Schema) -> Schema:
    """``schema`` with its local ``$ref`` (chain) replaced by the target, sibling keys kept."""
    for _ in range(32):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _ref_name(ref: object) -> str:
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else ""


def _branches(schema: Schema) -> list[Schema]:
    return list(schema.get("anyOf") or schema.get("oneOf") or [])


def _types(schema: Schema, root: Schema) -> frozenset[str]:
    """The JSON types a value may have; a ``$ref`` counts as its target's types."""
    schema = resolve(schema, root)
    if "type" in schema:
        kind = schema["type"]
        return frozenset(kind if isinstance(kind, list) else [kind])
    found: set[str] = set()
    for branch in _branches(schema):
        found |= _types(branch, root)
    return frozenset(found)


def _enum(schema: Schema) -> frozenset | None:
    return frozenset(map(str, schema["enum"])) if "enum" in schema else None

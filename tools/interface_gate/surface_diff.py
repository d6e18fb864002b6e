"""Differences in the contracts that are not HTTP operations: the ``shared.sync`` models outside the
OpenAPI document, the packet format, the master-data import format and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.interface_gate.changes import Change
from tools.interface_gate.openapi_diff import OPEN_ENUMS
from tools.interface_gate.schema_diff import SchemaDiff


def diff_sync_models(old: dict, new: dict, *, in_openapi: set[str]) -> Iterator[Change]:
    """Models the OpenAPI document does not carry (signed payloads and the like) are read by both
    sides; the rest are judged with their operations."""
    old_defs, new_defs = old.get("$defs") or {}, new.get("$defs") or {}
    schemas = SchemaDiff("sync_models", old, new, open_enums=OPEN_ENUMS)
    for name in sorted(old_defs.keys() - new_defs.keys()):
        yield Change(True, "sync_models", name, "model removed")
    for name in sorted(new_defs.keys() - old_defs.keys()):
        yield Change(False, "sync_models", name, "model added")
    for name in sorted((old_defs.keys() & new_defs.keys()) - in_openapi):
        ref = {"$ref": f"#/$defs/{name}"}
        yield from schemas.compare(ref, ref, where=name, direction="both")


def diff_packet(old: dict, new: dict) -> Iterator[Change]:
    """Kiosks write packets for months after the server moves on: what the server reads is a request."""
    for key in ("format", "version"):
        if old.get(key) != new.get(key):
            yield Change(True, "packet", key, f"{old.get(key)!r} -> {new.get(key)!r}")
    old_vectors, new_vectors = old.get("vectors") or {}, new.get("vectors") or {}
    for name in sorted(old_vectors.keys() | new_vectors.keys()):
        if old_vectors.get(name) != new_vectors.get(name):
            yield Change(True, "packet", f"vectors/{name}", "test vector changed, added or removed")
    meta_old, meta_new = old.get("meta") or {}, new.get("meta") or {}
    yield from SchemaDiff("packet", meta_old, meta_new).compare(
        meta_old, meta_new, where="meta", direction="request"
    )


def diff_masterdata(old: dict, new: dict) -> Iterator[Change]:
    if old.get("format") != new.get("format"):
        yield Change(True, "masterdata", "format", f"{old.get('format')!r} -> {new.get('format')!r}")
    for key in ("entities", "location_levels", "roles"):
        a, b = set(old.get(key) or ()), set(new.get(key) or ())
        for name in sorted(a - b):
            yield Change(True, "masterdata", f"{key}/{name}", "removed (files that use it are refused)")
        for name in sorted(b - a):
            yield Change(False, "masterdata", f"{key}/{name}", "added")


def diff_cli(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """Scripts run by operators call these: a removed command or option, a new required one, or a
    narrowed choice breaks them."""
    for path in sorted(old.keys() - new.keys()):
        yield Change(True, "cli", path, "command removed")
    for path in sorted(new.keys() - old.keys()):
        yield Change(False, "cli", path, "command added")
    for path in sorted(old.keys() & new.keys()):
        a, b = old[path], new[path]
        for name in sorted(a.keys() - b.keys()):
            yield Change(True, "cli", f"{path} {name}", f"{a[name]['kind']} removed")
        for name in sorted(b.keys() - a.keys()):
            required = b[name]["required"]
            what = f"{'required' if required else 'optional'} {b[name]['kind']} added"
            yield Change(required, "cli", f"{path} {name}", what)
        for name in sorted(a.keys() & b.keys()):
            yield from _param(f"{path} {name}", a[name], b[name])


def _param(where: str, a: dict[str, Any], b: dict[str, Any]) -> Iterator[Change]:
    if set(a["opts"]) - set(b["opts"]):
        yield Change(True, "cli", where, f"option names {a['opts']} -> {b['opts']}")
    if b["required"] and not a["required"]:
        yield Change(True, "cli", where, "became required")
    for key in ("kind", "multiple", "flag", "type"):
        if a[key] != b[key]:
            yield Change(True, "cli", where, f"{key} {a[key]!r} -> {b[key]!r}")
    removed = set(a.get("choices") or ()) - set(b.get("choices") or ())
    if removed and "choices" in b:
        yield Change(True, "cli", where, f"choices removed {sorted(removed)}")

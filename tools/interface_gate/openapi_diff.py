"""Differences between two OpenAPI documents: operations, parameters, status codes and bodies.

Bodies are compared with :class:`SchemaDiff`: request bodies and parameters as data an old kiosk sends,
response bodies as data it reads. A definition shared by several operations is judged once per
direction, where it is first met.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.interface_gate.changes import Change
from tools.interface_gate.schema_diff import SchemaDiff

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Error codes newer than a kiosk stay plain strings there (client.core.sync.http), so adding one is safe.
OPEN_ENUMS = frozenset({"ErrorCode"})


def diff_openapi(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    schemas = SchemaDiff("openapi", old, new, open_enums=OPEN_ENUMS)
    old_ops, new_ops = _operations(old), _operations(new)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        yield Change(True, "openapi", key, "operation removed")
    for key in sorted(new_ops.keys() - old_ops.keys()):
        yield Change(False, "openapi", key, "operation added")
    for key in sorted(old_ops.keys() & new_ops.keys()):
        yield from _operation(schemas, key, old_ops[key], new_ops[key])


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in (doc.get("paths") or {}).items()
        for method, op in item.items()
        if method in _METHODS
    }


def _operation(schemas: SchemaDiff, key: str, old: dict, new: dict) -> Iterator[Change]:
    old_params, new_params = _parameters(old), _parameters(new)
    for name in sorted(old_params.keys() - new_params.keys()):
        yield Change(True, "openapi", f"{key} {name}", "parameter removed")
    for name in sorted(new_params.keys() - old_params.keys()):
        required = bool(new_params[name].get("required"))
        yield Change(
            required, "openapi", f"{key} {name}", f"{'required' if required else 'optional'} parameter added"
        )
    for name in sorted(old_params.keys() & new_params.keys()):
        a, b = old_params[name], new_params[name]
        if b.get("required") and not a.get("required"):
            yield Change(True, "openapi", f"{key} {name}", "parameter became required")
        yield from schemas.compare(
            a.get("schema") or {}, b.get("schema") or {}, where=f"{key} {name}", direction="request"
        )
    yield from _media(key, "body", old.get("requestBody"), new.get("requestBody"))
    a_body, b_body = _body(old.get("requestBody")), _body(new.get("requestBody"))
    if a_body is not None and b_body is not None:
        yield from schemas.compare(a_body, b_body, where=f"{key} body", direction="request")
    elif b_body is not None and (new.get("requestBody") or {}).get("required"):
        yield Change(True, "openapi", f"{key} body", "required request body added")
    elif a_body is not None and b_body is None:
        yield Change(True, "openapi", f"{key} body", "request body removed")
    old_codes, new_codes = old.get("responses") or {}, new.get("responses") or {}
    for code in sorted(old_codes.keys() - new_codes.keys()):
        yield Change(True, "openapi", f"{key} {code}", "status code removed")
    for code in sorted(new_codes.keys() - old_codes.keys()):
        # a new success code is a reply an old kiosk never saw; a new error code is one more refusal
        yield Change(code.startswith("2"), "openapi", f"{key} {code}", "status code added")
    for code in sorted(old_codes.keys() & new_codes.keys()):
        yield from _media(key, code, old_codes[code], new_codes[code])
        a, b = _body(old_codes[code]), _body(new_codes[code])
        if a is not None and b is not None:
            yield from schemas.compare(a, b, where=f"{key} {code}", direction="response")


def _media(key: str, part: str, old: dict | None, new: dict | None) -> Iterator[Change]:
    a, b = set((old or {}).get("content") or {}), set((new or {}).get("content") or {})
    if a and b and a != b:
        yield Change(not a <= b, "openapi", f"{key} {part}", f"media types {sorted(a)} -> {sorted(b)}")


def _parameters(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{p.get('in')}:{p.get('name')}": p for p in op.get("parameters") or []}


def _body(holder: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema of a request body or response (its first media type), or None."""
    content = (holder or {}).get("content") or {}
    for media in content.values():
        return media.get("schema") or {}
    return None

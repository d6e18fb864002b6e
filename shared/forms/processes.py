"""What each process (flow) of the UI spec asks of the form: the fields in play and which are required.

* ``new``: the whole form; the schema's and the spec's requiredness.
* ``update``: only the groups the update changes (``update_groups``: demographic groups of the schema,
  ``documents``, ``biometrics``) plus the consent; the schema's requiredness for the demographic fields
  of those groups only (a changed address is a whole address). Documents are required only where the
  update spec says so: the identity already holds the ones it was issued with.
* ``lost``: every field the spec shows, none required by the schema (the person gives what they
  remember; the biometrics find them).
* ``correction``: the spec's demographics and documents (what the server asked for), none required by
  the schema; no biometrics.

The kiosk lays its form out with :func:`process_engine`; the server validates a packet's ``id.json``
with the same function, so both reach the same verdict. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.forms.engine import FormEngine
from shared.forms.schema import FLOWS, RESERVED_GROUPS, FormSpecError, IdSchema

__all__ = ["FLOWS", "RESERVED_GROUPS", "check_update_groups", "process_engine", "process_scope"]


def check_update_groups(
    schema: IdSchema, groups: Iterable[str], *, offered: Iterable[str] | None = None
) -> tuple[str, ...]:
    """``groups`` without repeats, in the order given, if each is a demographic group of ``schema`` or
    one of ``RESERVED_GROUPS`` (and among ``offered`` when given); else ``FormSpecError``."""
    chosen = tuple(dict.fromkeys(groups))
    if not chosen:
        raise FormSpecError("an update changes at least one group")
    known = set(schema.groups()) | set(RESERVED_GROUPS)
    allowed = known if offered is None else known & set(offered)
    unknown = [g for g in chosen if g not in allowed]
    if unknown:
        raise FormSpecError(f"unknown update group(s) {unknown}; allowed: {sorted(allowed)}")
    return chosen


def process_scope(schema: IdSchema, *, flow: str, update_groups: Iterable[str] = ()) -> frozenset[str] | None:
    """The fields ``flow`` puts in play (None: all of them)."""
    if flow not in FLOWS:
        raise FormSpecError(f"unknown flow {flow!r}; expected one of {FLOWS}")
    fields = schema.fields.values()
    if flow == "update":
        chosen = set(update_groups)
        by_group = schema.groups()
        scope = {f.id for f in fields if f.type == "consent"}
        scope |= {field_id for g in chosen if g in by_group for field_id in by_group[g]}
        scope |= {f.id for f in fields if f.type == "document" and "documents" in chosen}
        scope |= {f.id for f in fields if f.type == "biometrics" and "biometrics" in chosen}
        return frozenset(scope)
    if flow == "correction":
        return frozenset(f.id for f in fields if f.type != "biometrics")
    return None


def process_engine(engine: FormEngine, *, flow: str, update_groups: Iterable[str] = ()) -> FormEngine:
    """``engine`` (a spec laid on its schema) with ``flow``'s scope and requiredness."""
    if flow == "new":
        return engine.restricted()
    groups = tuple(update_groups)
    scope = process_scope(engine.schema, flow=flow, update_groups=groups)
    if flow == "update":
        by_group = engine.schema.groups()
        required = frozenset(f for g in groups if g in by_group for f in by_group[g])
    else:
        required = frozenset()
    return engine.restricted(scope=scope, schema_required=required)

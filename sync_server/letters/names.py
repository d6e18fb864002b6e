"""Which name goes on a resident's letter: the ID schema's name field, in the letter's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAME_FIELD = "fullName"
_FALLBACK_LANGUAGE = "eng"


class NoResidentName(ValueError):
    """The identity has no usable name to print and sign."""


def resident_name(demographics: Mapping[str, Any], *, language: str, field: str = NAME_FIELD) -> str:
    """The name to print for ``language``, whitespace collapsed.

    The field may hold plain text or a per-language list ``[{"language": "ara", "value": ...}]`` (as
    the ID schema allows). From a list: the value in ``language``, else in English, else the first
    non-empty one. Raises :class:`NoResidentName` when nothing usable is there."""
    value = demographics.get(field)
    if isinstance(value, list):
        by_language: dict[str, str] = {}
        for item in value:
            if isinstance(item, Mapping) and isinstance(item.get("value"), str) and item["value"].strip():
                by_language.setdefault(str(item.get("language", "")), item["value"])
        picked = by_language.get(language) or by_language.get(_FALLBACK_LANGUAGE)
        value = picked or next(iter(by_language.values()), None)
    elif isinstance(value, Mapping):
        value = value.get("value")
    if not isinstance(value, str) or not value.split():
        raise NoResidentName(f"the identity has no {field!r} to print on a letter")
    return " ".join(value.split())

"""Demographic dedupe keys: the same person typed slightly differently yields the same key.

Names are case-folded, stripped of accents and punctuation, and their spaces collapsed; the date of
birth is reduced to ISO ``YYYY-MM-DD``; the location is compared by id. Which demographic fields
make up the key is configuration (``DedupeConfig``), because every ID schema names them differently.

What reaches the database: never these values. The ID store keeps demographics encrypted and stores
only keyed hashes (HMAC-SHA256 under a subkey of the data key, ``DataKey.keyed_hash``) of
(1) :func:`dedupe_key` - the SHA-256 of all normalised parts, for the exact-duplicate lookup - and
(2) :func:`blocking_text` - the normalised date(s) of birth alone, the blocking key that narrows
candidates for fuzzy matching, which the store then decrypts (fuzzy matching needs the plaintext).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_name(value: str) -> str:
    """Case-fold, strip accents and punctuation, collapse whitespace: ``" José  O'Neil "`` -> ``"jose o neil"``."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", without_marks).replace("_", " ").split())


def normalise_date(value: str) -> str:
    """An ISO date from ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``DD/MM/YYYY``; raises ``ValueError`` otherwise."""
    text = value.strip().split("T")[0]  # a datetime keeps only its date part
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def _text_of(value: Any) -> str:
    """Demographic values may be plain or per-language ``[{"language": "eng", "value": ...}]`` lists."""
    if isinstance(value, list):
        return " ".join(_text_of(item) for item in value)
    if isinstance(value, Mapping):
        return str(value.get("value", value.get("id", "")))
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DedupeConfig:
    """Which demographic fields form the dedupe key, and how each is normalised."""

    name_fields: tuple[str, ...] = ("fullName",)
    date_fields: tuple[str, ...] = ("dateOfBirth",)
    exact_fields: tuple[str, ...] = ("city",)  # location: the schema's required lowest level
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DedupeConfig:
        """Build from master data config (``{"name_fields": [...], "date_fields": [...], ...}``)."""
        return cls(
            name_fields=tuple(data.get("name_fields", cls.name_fields)),
            date_fields=tuple(data.get("date_fields", cls.date_fields)),
            exact_fields=tuple(data.get("exact_fields", cls.exact_fields)),
        )


class DedupeKeyError(ValueError):
    """The demographics lack a field the dedupe key needs."""


def dedupe_parts(demographics: Mapping[str, Any], *, config: DedupeConfig) -> dict[str, str]:
    """The normalised field values that make up the key (kept for explaining a duplicate)."""
    parts: dict[str, str] = {}
    for name in (*config.name_fields, *config.date_fields, *config.exact_fields):
        raw = _text_of(demographics.get(name)).strip()
        if not raw:
            raise DedupeKeyError(f"dedupe field {name!r} is empty")
        if name in config.name_fields:
            parts[name] = normalise_name(raw)
        elif name in config.date_fields:
            parts[name] = normalise_date(raw)
        else:
            parts[name] = raw.casefold()
    return parts


def dedupe_key(demographics: Mapping[str, Any], *, config: DedupeConfig) -> str:
    """SHA-256 hex over the normalised parts; equal for two records the config treats as one person."""
    parts = dedupe_parts(demographics, config=config)
    text = "\x1f".join(f"{k}={parts[k]}" for k in sorted(parts))
    return hashlib.sha256(text.encode()).hexdigest()


def blocking_text(demographics: Mapping[str, Any], *, config: DedupeConfig) -> str | None:
    """The normalised date field(s) (``"1990-04-03"``), the blocking key for fuzzy candidates;
    None when the config has no date field. Raises ``DedupeKeyError`` / ``ValueError`` on a missing
    or unreadable date."""
    if not config.date_fields:
        return None
    dates = []
    for name in config.date_fields:
        raw = _text_of(demographics.get(name)).strip()
        if not raw:
            raise DedupeKeyError(f"dedupe field {name!r} is empty")
        dates.append(normalise_date(raw))
    return "\x1f".join(dates)

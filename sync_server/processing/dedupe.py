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

import contextlib
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def normalise_name(value: str) -> str:
    """Case-fold, strip accents and punctuation, collapse whitespace: ``" José  O'Neil "`` -> ``"jose o neil"``."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", without_marks).replace("_", " ").split())


def normalise_date(value: str) -> str:
    """An ISO date from ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``DD/MM/YYYY``; raises ``ValueError`` otherwise."""
    text = value.strip().split("T")[0]  # a datetime keeps only its date part
    if _ISO_DATE.fullmatch(text):  # the usual form: strptime costs ten times more for the same answer
        with contextlib.suppress(ValueError):  # no such day: refused below, with the same message
            return dt.date.fromisoformat(text).isoformat()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def text_of(value: Any) -> str:
    """Demographic values may be plain or per-language ``[{"language": "eng", "value": ...}]`` lists."""
    if isinstance(value, list):
        return " ".join(text_of(item) for item in value)
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
    # Scores 0-100 (processing.matching; the ABIS's for biometrics). At or above ``high``: the same
    # person (a biometric match rejects as duplicate); from ``low`` up: an adjudicator decides.
    high: float = 95.0
    low: float = 80.0
    weights: tuple[float, float, float] = (0.6, 0.25, 0.15)  # name, date of birth, location
    # Without biometric evidence, a demographic score at or above ``high`` still goes to a person
    # (namesakes are common); True rejects it as a duplicate as older releases did.
    demographic_auto_duplicate: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DedupeConfig:
        """Build from master data config (``{"name_fields": [...], "date_fields": [...], ...}``)."""
        high, low = float(data.get("high", cls.high)), float(data.get("low", cls.low))
        if not 0 < low <= high <= 100:
            raise ValueError(f"dedupe thresholds need 0 < low <= high <= 100, got low={low} high={high}")
        return cls(
            name_fields=tuple(data.get("name_fields", cls.name_fields)),
            date_fields=tuple(data.get("date_fields", cls.date_fields)),
            exact_fields=tuple(data.get("exact_fields", cls.exact_fields)),
            high=high,
            low=low,
            demographic_auto_duplicate=bool(data.get("demographic_auto_duplicate", False)),
        )


class DedupeKeyError(ValueError):
    """The demographics lack a field the dedupe key needs."""


def dedupe_parts(demographics: Mapping[str, Any], *, config: DedupeConfig) -> dict[str, str]:
    """The normalised field values that make up the key (kept for explaining a duplicate)."""
    parts: dict[str, str] = {}
    for name in (*config.name_fields, *config.date_fields, *config.exact_fields):
        raw = text_of(demographics.get(name)).strip()
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


def _valid(year: int, month: int, day: int) -> str | None:
    if not 1850 <= year <= dt.date.today().year + 1:  # "9190" is no one's year of birth
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _transpositions(number: int, width: int) -> set[int]:
    text = f"{number:0{width}d}"
    out = set()
    for i in range(len(text) - 1):
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        out.add(int(swapped))
    return out - {number}


def date_variants(iso: str) -> list[str]:
    """``iso`` first, then the dates a typist may have meant: day/month swapped, year +-1 and two
    adjacent digits of the year, month or day transposed (only real calendar dates)."""
    date = dt.date.fromisoformat(iso)
    y, m, d = date.year, date.month, date.day
    found = [_valid(y, d, m), _valid(y - 1, m, d), _valid(y + 1, m, d)]
    found += [_valid(v, m, d) for v in _transpositions(y, 4)]
    found += [_valid(y, v, d) for v in _transpositions(m, 2)]
    found += [_valid(y, m, v) for v in _transpositions(d, 2)]
    variants = [iso]
    for value in found:
        if value is not None and value not in variants:
            variants.append(value)
    return variants


def blocking_texts(demographics: Mapping[str, Any], *, config: DedupeConfig) -> list[str]:
    """The blocking text first, then the same with the first date replaced by each of its
    :func:`date_variants`: the keys under which a mistyped record's candidates are filed."""
    exact = blocking_text(demographics, config=config)
    if exact is None:
        return []
    first, *rest = exact.split("\x1f")
    return ["\x1f".join([variant, *rest]) for variant in date_variants(first)]


def blocking_text(demographics: Mapping[str, Any], *, config: DedupeConfig) -> str | None:
    """The normalised date field(s) (``"1990-04-03"``), the blocking key for fuzzy candidates;
    None when the config has no date field. Raises ``DedupeKeyError`` / ``ValueError`` on a missing
    or unreadable date."""
    if not config.date_fields:
        return None
    dates = []
    for name in config.date_fields:
        raw = text_of(demographics.get(name)).strip()
        if not raw:
            raise DedupeKeyError(f"dedupe field {name!r} is empty")
        dates.append(normalise_date(raw))
    return "\x1f".join(dates)

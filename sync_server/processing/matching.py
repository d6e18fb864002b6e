"""Demographic candidate matching: which stored identities a new record may be, and how alike they are.

Candidates come from the blocking key (the normalised date of birth, ``dedupe.blocking_text``) and
its likely typos (:func:`date_variants`: day and month swapped, a year off by one, two digits
transposed), so a date typed wrongly still finds the person. Each candidate is then scored 0-100:

* name: rapidfuzz's token-sort or plain ratio of the normalised names (word order, typos), or the
  agreement of their Double-Metaphone-like keys (jellyfish's ``metaphone``: "Mohamed"/"Muhammad"),
  whichever is higher; names in scripts metaphone does not know are compared as text only;
* date: 100 equal, 90 day and month swapped, 75 another variant;
* location: the share of the exact fields (``DedupeConfig.exact_fields``) that are equal.

The total is the weighted sum (``DedupeConfig.weights``). What a score means (duplicate,
adjudication, unique) is decided by the dedupe stage with the thresholds in ``DedupeConfig``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jellyfish
from rapidfuzz import fuzz

from sync_server.processing.dedupe import DedupeConfig, date_variants, normalise_date, normalise_name, text_of


@dataclass(frozen=True)
class DemographicScore:
    """How alike two records are, 0-100 overall and per part."""

    total: float
    name: float
    date: float
    location: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 1) for k in ("total", "name", "date", "location")}


# A packet is scored against up to 200 candidates, and the same stored names come back packet after
# packet: the pure per-name work (normalising, phonetic keys) is cached per process.
@functools.lru_cache(maxsize=8192)
def _name_parts(raw: str) -> tuple[str, str]:
    """(normalised name, its phonetic key)."""
    name = normalise_name(raw)
    keys = [jellyfish.metaphone(word) for word in name.split() if word.isascii()]
    return name, " ".join(sorted(k for k in keys if k))


def name_score(left: str, right: str) -> float:
    """0-100 for two raw names (normalised here)."""
    (a, pa), (b, pb) = _name_parts(left), _name_parts(right)
    if not a or not b:
        return 0.0
    # token-sort forgives word order, plain ratio a changed first letter (which reorders the words)
    textual = max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a, b))
    phonetic = 95.0 if pa and pa == pb else 0.0
    return max(float(textual), phonetic)


def date_score(left: str, right: str) -> float:
    """0-100 for two ISO dates: equal, swapped day and month, or another likely typo."""
    if left == right:
        return 100.0
    variants = date_variants(left)
    if right not in variants:
        return 0.0
    a, b = dt.date.fromisoformat(left), dt.date.fromisoformat(right)
    return 90.0 if (a.month, a.day) == (b.day, b.month) and a.year == b.year else 75.0


@functools.lru_cache(maxsize=8192)
def _date_of(text: str) -> str | None:
    try:
        return normalise_date(text)
    except ValueError:
        return None


def _safe_date(value: Any) -> str | None:
    return _date_of(text_of(value))


def score(new: Mapping[str, Any], stored: Mapping[str, Any], *, config: DedupeConfig) -> DemographicScore:
    """How alike ``new`` and ``stored`` demographics are under ``config``."""
    names = [name_score(text_of(new.get(f)), text_of(stored.get(f))) for f in config.name_fields]
    dates = []
    for field_id in config.date_fields:
        a, b = _safe_date(new.get(field_id)), _safe_date(stored.get(field_id))
        dates.append(date_score(a, b) if a and b else 0.0)
    places = [
        100.0 if text_of(new.get(f)).strip().casefold() == text_of(stored.get(f)).strip().casefold() else 0.0
        for f in config.exact_fields
    ]
    name, date, place = (sum(v) / len(v) if v else 100.0 for v in (names, dates, places))
    w_name, w_date, w_place = config.weights
    total = (w_name * name + w_date * date + w_place * place) / (w_name + w_date + w_place)
    return DemographicScore(total, name, date, place)


@dataclass(frozen=True)
class ScoredCandidate:
    uin: str
    rid: str
    score: DemographicScore


def rank(
    new: Mapping[str, Any],
    candidates: Sequence[Any],
    *,
    config: DedupeConfig,
    floor: float,
    limit: int = 10,
) -> list[ScoredCandidate]:
    """Candidates (with ``uin``, ``rid``, ``demographics``) scoring at least ``floor``, best first."""
    scored = [ScoredCandidate(c.uin, c.rid, score(new, c.demographics, config=config)) for c in candidates]
    kept = [c for c in scored if c.score.total >= floor]
    return sorted(kept, key=lambda c: (-c.score.total, c.uin))[:limit]

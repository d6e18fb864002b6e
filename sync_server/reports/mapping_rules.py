"""How a mapping set answers a lookup: pure rules shared by the run (``mappings.MappingLookup``) and the
sandboxed transform process, which gets the sets it may read as JSON (``MappingTable.to_json``).

An entry applies on a date when ``effective_from <= date <= effective_to`` (a missing bound is open).
Where several apply, the one with the latest ``effective_from`` wins. A key with no entry that applies
fails (``MissingMapping``), gives the set's fallback, or keeps the key itself, as the set says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

OnMissing = Literal["fail", "fallback", "keep"]


class MissingMapping(LookupError):
    """A key has no mapping on the date asked, and its set says to fail."""


@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    def applies(self, on: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass
class MappingTable:
    """One set's entries, indexed by key."""

    set_id: str
    on_missing: OnMissing = "fail"
    fallback: str | None = None
    entries: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(
        cls,
        set_id: str,
        entries: Iterable[Entry],
        *,
        on_missing: OnMissing = "fail",
        fallback: str | None = None,
    ) -> MappingTable:
        table = cls(set_id, on_missing, fallback)
        for entry in entries:
            table.entries[entry.key].append(entry)
        for found in table.entries.values():
            found.sort(key=lambda e: e.effective_from or dt.date.min, reverse=True)
        return table

    def resolve(self, key: Any, on: dt.date) -> str | None:
        text = "" if key is None else str(key)
        for entry in self.entries.get(text, ()):
            if entry.applies(on):
                return entry.value
        if self.on_missing == "fallback":
            return self.fallback
        if self.on_missing == "keep":
            return text
        raise MissingMapping(f"mapping set {self.set_id!r} has no value for {text!r} on {on.isoformat()}")

    def to_json(self) -> dict[str, Any]:
        return {
            "set_id": self.set_id,
            "on_missing": self.on_missing,
            "fallback": self.fallback,
            "entries": [
                [e.key, e.value, _iso(e.effective_from), _iso(e.effective_to)]
                for found in self.entries.values()
                for e in found
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MappingTable:
        return cls.of(
            str(data["set_id"]),
            (Entry(str(k), str(v), _date(f), _date(t)) for k, v, f, t in data["entries"]),
            on_missing=data.get("on_missing", "fail"),
            fallback=data.get("fallback"),
        )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None

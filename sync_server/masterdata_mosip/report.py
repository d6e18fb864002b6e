"""What a MOSIP conversion could not carry over, element by element, with each element's JSON path.

Two kinds of item: ``not_converted`` (the element has no OpenReg counterpart and is left out) and
``changed`` (converted, but its meaning differs in a way an admin should know). A JSON path reads
``$.screens[1].fields[11].requiredOn[0].expr`` in the file named by ``source``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["not_converted", "changed"]
MAX_ITEMS = 5000  # a report of a hostile input stays readable
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(*parts: str | int) -> str:
    """``$`` followed by ``.key``, ``['odd-key']`` and ``[index]`` parts."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False).replace('"', "'") + "]"
    return out


@dataclass(frozen=True)
class ReportItem:
    source: str  # the input file
    path: str  # JSON path in it (or "row N" of a CSV)
    status: Status
    message: str

    def line(self) -> str:
        word = "not converted" if self.status == "not_converted" else "changed"
        return f"{self.source} {self.path}: {word}: {self.message}"


@dataclass
class ConversionReport:
    """Collects items; ``summary`` holds the counts the CLI and the docs quote."""

    items: list[ReportItem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    dropped: int = 0

    def add(self, source: str, path: str, status: Status, message: str) -> None:
        if len(self.items) >= MAX_ITEMS:
            self.dropped += 1
            return
        self.items.append(ReportItem(source, path, status, message))

    def not_converted(self, source: str, path: str, message: str) -> None:
        self.add(source, path, "not_converted", message)

    def changed(self, source: str, path: str, message: str) -> None:
        self.add(source, path, "changed", message)

    def touches(self, source: str, path: str) -> bool:
        """Whether any item is about ``path`` or an element inside it."""
        return any(
            i.source == source and (i.path == path or i.path.startswith((path + ".", path + "[")))
            for i in self.items
        )

    def counts(self) -> dict[str, int]:
        return dict(Counter(i.status for i in self.items))

    def lines(self) -> list[str]:
        more = [f"... and {self.dropped} more items"] if self.dropped else []
        return [i.line() for i in self.items] + more

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "counts": self.counts(),
            "items": [asdict(i) for i in self.items],
            "more_items": self.dropped,
        }


class MosipInputError(ValueError):
    """An input file cannot be read as the MOSIP file it should be; the message names the file."""

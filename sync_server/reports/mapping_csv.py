"""The mapping-set CSV format and its row rules, without a database (``mappings.MappingSets`` uses them).

A file is UTF-8 (a BOM is allowed) with the header ``key,value,effective_from,effective_to`` (the two
date columns may be left out); dates are ISO ``YYYY-MM-DD`` and an empty one is open. Lines are the
file's physical lines, the header being line 1, so an editor shows the row an error names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sync_server.reports.mapping_rules import Entry

MAX_KEY = 255
MAX_VALUE = 4000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
MAX_REPORTED_ERRORS = 1000  # a file of garbage gives a readable answer; error_count still counts all
COLUMNS = ("key", "value", "effective_from", "effective_to")
_REQUIRED = ("key", "value")
_KEY_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RowError:
    line: int  # 0: the file as a whole
    reason: str


@dataclass(frozen=True)
class ParsedRow:
    line: int  # 0: an entry already in the set
    key: str
    value: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    existing_id: int | None = None

    def where(self) -> str:
        if self.line:
            return f"line {self.line}"
        start, end = self.effective_from, self.effective_to
        span = f"{start.isoformat() if start else 'always'} to {end.isoformat() if end else 'open'}"
        return f"existing entry {self.existing_id} ({span})"

    def columns(self) -> dict[str, object]:
        return {
            "key": self.key,
            "value": self.value,
            "effective_from": self.effective_from,
            "effective_to": self.effective_to,
        }


@dataclass
class ImportResult:
    """What an import did: rows added and (``replace``) removed, or every error and nothing done."""

    imported: int
    deleted: int
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def __post_init__(self) -> None:
        self.errors.sort(key=lambda e: e.line)
        self.error_count = max(self.error_count, len(self.errors))
        del self.errors[MAX_REPORTED_ERRORS:]

    @property
    def ok(self) -> bool:
        return not self.error_count


def entry_problem(key: str, value: str, start: dt.date | None, end: dt.date | None) -> str | None:
    """Why an entry may not be stored, or None."""
    if not key.strip():
        return "the key is empty"
    if len(key) > MAX_KEY:
        return f"the key is longer than {MAX_KEY} characters"
    if _KEY_FORBIDDEN.search(key):
        return "the key contains a control character"
    if len(value) > MAX_VALUE:
        return f"the value is longer than {MAX_VALUE} characters"
    if "\x00" in value:
        return "the value contains a NUL character"
    if start and end and start > end:
        return f"effective_from {start.isoformat()} is after effective_to {end.isoformat()}"
    return None


def parse_csv(data: bytes) -> tuple[list[ParsedRow], list[RowError]]:
    """The file's rows that pass the row rules, and an error for each row that does not."""
    if len(data) > MAX_IMPORT_BYTES:
        return [], [RowError(0, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [RowError(line, "the file is not UTF-8 text")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        columns = _columns(header)
        if isinstance(columns, RowError):
            return [], [columns]
        count = 0
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if not any(record):  # a blank line
                continue
            count += 1
            if count > MAX_IMPORT_ROWS:
                errors.append(RowError(line, f"the file has more than {MAX_IMPORT_ROWS} rows"))
                break
            parsed = _row(line, record, columns)
            if isinstance(parsed, RowError):
                errors.append(parsed)
            else:
                rows.append(parsed)
    except csv.Error as exc:  # an unclosed quote, a field beyond csv's size limit: the rest is unreadable
        errors.append(RowError(reader.line_num, f"unreadable CSV: {exc}"))
    return rows, errors


def _columns(header: list[str] | None) -> dict[str, int] | RowError:
    names = [h.strip().lower() for h in header or []]
    unknown = [n for n in names if n not in COLUMNS]
    if not names or unknown or len(set(names)) != len(names) or not set(_REQUIRED) <= set(names):
        return RowError(1, f"the header must be {','.join(COLUMNS)} (got {','.join(names) or 'nothing'})")
    return {name: i for i, name in enumerate(names)}


def _row(line: int, record: list[str], columns: dict[str, int]) -> ParsedRow | RowError:
    if len(record) != len(columns):
        return RowError(line, f"expected {len(columns)} fields, found {len(record)}")
    key, value = record[columns["key"]], record[columns["value"]]
    dates: list[dt.date | None] = []
    for name in ("effective_from", "effective_to"):
        text = record[columns[name]].strip() if name in columns else ""
        try:
            dates.append(dt.date.fromisoformat(text) if text else None)
        except ValueError:
            return RowError(line, f"{name} {text[:40]!r} is not a date (YYYY-MM-DD)")
    problem = entry_problem(key, value, dates[0], dates[1])
    return RowError(line, problem) if problem else ParsedRow(line, key, value, dates[0], dates[1])


def check_overlaps(rows: Iterable[ParsedRow], existing: Iterable[ParsedRow] = ()) -> list[RowError]:
    """An error for each file row whose range overlaps another row of the same key (in the file, or
    ``existing`` entries of the set). Sorted by start, a row overlaps an earlier one exactly when it
    starts on or before the latest end so far, so one pass per key finds them."""
    by_key: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in (*existing, *rows):
        by_key[row.key].append(row)
    errors: list[RowError] = []
    for key, group in by_key.items():
        group.sort(key=lambda r: (r.effective_from or dt.date.min, r.line))
        reach: ParsedRow | None = None  # the row seen so far that ends last
        for row in group:
            if reach and (
                reach.effective_to is None or (row.effective_from or dt.date.min) <= reach.effective_to
            ):
                blamed, other = (row, reach) if row.line else (reach, row)
                if blamed.line:
                    errors.append(RowError(blamed.line, f"key {key!r} overlaps {other.where()}"))
            if reach is None or (reach.effective_to is not None and _ends_later(row, reach)):
                reach = row
    return errors


def _ends_later(row: ParsedRow, than: ParsedRow) -> bool:
    return row.effective_to is None or (
        than.effective_to is not None and row.effective_to > than.effective_to
    )


def write_csv(entries: Iterable[Entry]) -> bytes:
    """Entries as import-format CSV (UTF-8, no BOM, CRLF line ends as RFC 4180 says)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.key,
                e.value,
                e.effective_from.isoformat() if e.effective_from else "",
                e.effective_to.isoformat() if e.effective_to else "",
            ]
        )
    return out.getvalue().encode()

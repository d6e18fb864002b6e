"""Read an import file row by row, so an import of any size holds one row at a time (issue 22).

The JSON import document is ``{"format": ..., "entities": {name: [rows]}, "deletes": {name: [ids]}}``:
a shallow frame around long arrays. The frame is walked here (keys, brackets, commas) and every value
inside it (a row, an id, the format) is decoded by the standard library's C decoder
(``JSONDecoder.raw_decode``), so rows parse exactly as ``json.loads`` parses them (NaN, big integers,
strictness) at its speed. ijson was measured and not used: its fast C path builds objects under one
fixed prefix only, and a frame of unknown entity names fell back to Python per event, twice as slow.
A CSV file (``<entity>.csv``) is read with ``csv`` over a text wrapper.

Each row is validated on its own (``masterdata_rules.row_errors``) and yielded only when sound;
problems are collected on the reader (``ImportReader.errors``) and read after the iteration, which
always goes to the end so that every problem of the file is reported at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from shared.sync import FieldError
from sync_server.services.masterdata_rules import ENTITIES, IMPORT_FORMAT, csv_cell, entity_errors, row_errors

_CHUNK = 1 << 20  # bytes read at a time
MAX_VALUE_CHARS = 64 << 20  # one row (a UI spec can be big); a bigger one is refused, not buffered
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class Row(NamedTuple):  # a tuple, not a frozen dataclass: one is made per row, a million times
    entity: str
    row: dict[str, Any]
    number: int  # the row's number in its file for its entity (a CSV's row 1 is its header)
    text: str | None = None  # the row's JSON exactly as the file has it (None for a CSV row)


class Delete(NamedTuple):
    entity: str
    entity_id: str


class _BadJson(ValueError):
    """The document is not valid JSON (or a value is over MAX_VALUE_CHARS)."""


class _Text:
    """A window on the decoded text of a binary stream; ``pos`` is the next character to read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._decode = codecs.getincrementaldecoder("utf-8-sig")().decode
        self.buf, self.pos, self.eof = "", 0, False
        self.last = ""  # the JSON text of the value value() returned last

    def more(self) -> bool:
        """Append the next chunk (dropping what was read); False at the end of the stream."""
        if self.eof:
            return False
        data = self._raw.read(_CHUNK)
        text = self._decode(data, final=not data)  # UnicodeDecodeError: the caller names the file
        self.buf, self.pos = self.buf[self.pos :] + text, 0
        self.eof = not data
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end); ``pos`` stops on it."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise _BadJson(f"expecting {char!r} but found {found or 'the end'!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the JSON value at ``pos`` with the C decoder, reading more until it is whole;
        ``last`` is then its JSON text as written."""
        self.peek()
        while True:
            start = self.pos
            try:
                value, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                if self._grow():
                    continue
                raise _BadJson(f"{exc.msg} (near character {exc.pos - start} of a value)") from exc
            if end == len(self.buf) and not self.eof and self._grow():
                continue  # a number at the window's edge may go on
            self.pos = end
            self.last = self.buf[start:end]
            return value

    def key(self) -> str:
        if self.peek() != '"':
            raise _BadJson("expecting a property name in double quotes")
        key = self.value()
        self.expect(":")
        return key

    def _grow(self) -> bool:
        if len(self.buf) - self.pos > MAX_VALUE_CHARS:
            raise _BadJson(f"a value is longer than {MAX_VALUE_CHARS} characters")
        return self.more()


def _members(text: _Text) -> Iterator[str]:
    """The keys of the object at ``pos`` (after its ``{``), leaving ``pos`` on each key's value."""
    text.expect("{")
    if text.peek() == "}":
        text.pos += 1
        return
    seen: set[str] = set()
    while True:
        key = text.key()
        if key in seen:  # json.loads would silently keep the last one and drop the rows before it
            raise _BadJson(f"the key {key!r} appears twice in one object")
        seen.add(key)
        yield key
        following = text.peek()
        text.pos += 1
        if following == "}":
            return
        if following != ",":
            raise _BadJson(f"expecting ',' or '}}' but found {following or 'the end'!r}")


def _items(text: _Text) -> Iterator[Any]:
    """The values of the array at ``pos``, one at a time (``text.last`` is each one's JSON)."""
    text.expect("[")
    if text.peek() == "]":
        text.pos += 1
        return
    while True:
        yield text.value()
        following = text.peek()
        text.pos += 1
        if following == "]":
            return
        if following != ",":
            raise _BadJson(f"expecting ',' or ']' but found {following or 'the end'!r}")


class ImportReader:
    """Iterate over the sound rows and deletes of one import file; then read ``errors``."""

    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.file = Path(name).name
        self._stream = stream
        self.errors: list[FieldError] = []

    def __iter__(self) -> Iterator[Row | Delete]:
        try:
            if self.file.lower().endswith(".csv"):
                yield from self._csv(Path(self.file).stem)
            else:
                yield from self._json()
        except UnicodeDecodeError as exc:
            self.errors = [FieldError(file=self.file, message=f"not UTF-8: {exc}")]
        except RecursionError:
            self.errors = [FieldError(file=self.file, message="not valid JSON: nested too deeply")]
        except (_BadJson, csv.Error) as exc:
            kind = "CSV" if isinstance(exc, csv.Error) else "JSON"
            self.errors = [FieldError(file=self.file, message=f"not valid {kind}: {exc}")]

    def _fail(self, field: str | None = None, message: str = "") -> None:
        self.errors.append(FieldError(file=self.file, field=field, message=message))

    def _rows(
        self, entity: str, rows: Iterator[Any], first_row: int, text: _Text | None = None
    ) -> Iterator[Row]:
        """Sound rows of ``entity``; with ``text`` (JSON), each keeps its JSON text as read."""
        problems = entity_errors(self.file, entity)
        if problems:
            self.errors += problems
            for _ in rows:  # read past them: the rest of the file is still checked
                pass
            return
        for number, row in enumerate(rows, start=first_row):
            found = row_errors(self.file, entity, row, number)
            if found:
                self.errors += found
            else:
                yield Row(entity, row, number, text.last if text is not None else None)

    def _csv(self, entity: str) -> Iterator[Row]:
        text = io.TextIOWrapper(self._stream, encoding="utf-8-sig", newline="")
        try:
            raw_rows = csv.DictReader(text)
            rows = (
                {k: csv_cell(k, v) for k, v in raw.items() if k and v not in (None, "")} for raw in raw_rows
            )
            yield from self._rows(entity, rows, first_row=2)  # row 1 is the header
        finally:
            text.detach()  # the caller owns the stream

    def _json(self) -> Iterator[Row | Delete]:
        text = _Text(self._stream)
        if text.peek() != "{":
            self._wrong_format()
            return
        fmt: Any = None
        for key in _members(text):
            if key == "format":
                fmt = text.value()
            elif key == "entities" and text.peek() == "{":
                for entity in _members(text):
                    if text.peek() == "[":
                        yield from self._rows(entity, _items(text), first_row=1, text=text)
                    else:
                        text.value()
                        self.errors += entity_errors(self.file, entity) or [
                            FieldError(
                                file=self.file, field=entity, message="an entity holds a list of row objects"
                            )
                        ]
            elif key == "deletes" and text.peek() == "{":
                for entity in _members(text):
                    yield from self._deletes(entity, text)
            elif key in ("entities", "deletes"):
                text.value()
                self._fail(message="entities and deletes must be objects")
            else:
                text.value()  # other keys are ignored, as before
        if text.peek():
            raise _BadJson("extra data after the document")
        if fmt != IMPORT_FORMAT:
            self._wrong_format()

    def _deletes(self, entity: str, text: _Text) -> Iterator[Delete]:
        if entity not in ENTITIES:
            text.value()
            self._fail(f"deletes.{entity}", f"unknown entity {entity!r}")
            return
        if text.peek() != "[":
            text.value()
            self._fail(f"deletes.{entity}", "must be a list of ids")
            return
        sound = True
        for entity_id in _items(text):
            if not (isinstance(entity_id, str) and entity_id):
                sound = False
            elif sound:
                yield Delete(entity, entity_id)
        if not sound:
            self._fail(f"deletes.{entity}", "must be a list of ids")

    def _wrong_format(self) -> None:
        self.errors = [FieldError(file=self.file, field="format", message=f"must be {IMPORT_FORMAT!r}")]

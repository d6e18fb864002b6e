"""A master-data import that streams: each row goes into the change log as it is read (issue 22).

Profiled before (1,000,000 location rows): the ORM's bulk insert of the log and of the folded rows took
two thirds of the time, parsing and the whole-import checks over Python lists the rest, and every row
was held three times (the document, the parsed rows, the log rows). Now, in the caller's transaction:

1. the log is locked and rows are read one at a time (``masterdata_stream``), validated, and written
   to ``masterdata_changes`` in batches by the driver itself (``executemany`` on SQLite, ``COPY`` on
   PostgreSQL), a tombstone before each row that moves to another center, as before;
2. the imported rows are folded into ``masterdata_current`` by one ``INSERT ... SELECT`` and the
   deletes applied;
3. the resulting state is checked (``masterdata_import_checks``: duplicate ids, references, cycles,
   UI specs, as ``masterdata_refs.check_import`` checks an in-memory import) and any problem raises
   :class:`MasterDataInvalid`, so the caller's transaction rolls everything back: all or nothing, as
   before. Memory stays flat whatever the file size, except for the parent links of imported
   locations (the cycle check walks them).
"""

from __future__ import annotations

import bisect
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from shared.sync import FieldError, ImportResult
from sync_server.db.tables import ChangeRow, CurrentRow
from sync_server.services.clock import utcnow
from sync_server.services.masterdata_import_checks import ImportedState, capped, check_result, fold
from sync_server.services.masterdata_refs import MAX_ERRORS, Origin
from sync_server.services.masterdata_rules import MasterDataInvalid
from sync_server.services.masterdata_stream import Delete, ImportReader, Row

_BATCH = 500
_SMALL = 50_000  # an entity with at most this many stored rows has their centers read at once
_COLUMNS = "seq, entity, entity_id, op, data, center_id, created_at"
Opener = Callable[[], IO[bytes]]
_NULL = "null"  # a tombstone's data, as the ORM's JSON column stores None


class _LogWriter:
    """Appends change-log rows at consecutive sequence numbers through the driver, a batch at a time."""

    def __init__(self, session: Session, first: int) -> None:
        self.conn: Connection = session.connection()
        self.postgres = self.conn.dialect.name == "postgresql"
        created = ChangeRow.__table__.c.created_at.type.dialect_impl(self.conn.dialect)
        to_db = created.bind_processor(self.conn.dialect)
        now = utcnow()
        self.created = to_db(now) if to_db else now
        self.first = self.next = first
        self.tombstones: list[int] = []  # seqs of the tombstones of moved rows (few), for origins
        self._pending: list[Row] = []
        self._out: list[tuple] = []
        self._stored: dict[str, dict[str, str | None] | None] = {}
        self._copying = contextlib.ExitStack()
        self._copy: Any = None  # psycopg's Copy while one is open
        self.replaced = 0  # imported rows that replace a stored one

    def upsert(self, item: Row) -> None:
        """Append a row read from a file (its JSON text is stored as the file has it; a CSV row's is made)."""
        self._pending.append(item)
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        # The two lists live as long as the writer: a young list of thousands of rows would be walked
        # by every garbage collection of the youngest generation while the batch fills.
        pending, out = self._pending, self._out
        if not pending:
            return
        stored = {entity: self._centers_of(entity, pending) for entity in {item.entity for item in pending}}
        for entity, row, _number, raw in pending:
            entity_id, center = row["id"], row.get("center_id")
            known = stored[entity]
            old = known.get(entity_id)
            if old is not None or entity_id in known:
                self.replaced += 1
            if old is not None and old != center:  # moved to another center: its old center drops it
                self.tombstones.append(self.next)
                out.append((self.next, entity, entity_id, "delete", _NULL, old, self.created))
                self.next += 1
            data = json.dumps(row) if raw is None else raw
            out.append((self.next, entity, entity_id, "upsert", data, center, self.created))
            self.next += 1
        self._write(out)
        pending.clear()
        out.clear()

    def finish(self) -> None:
        """Write what is pending and end the COPY (PostgreSQL) so the connection takes queries again."""
        self.flush()
        self._end_copy()

    def _centers_of(self, entity: str, pending: list[Row]) -> dict[str, str | None]:
        """id -> stored center for the batch's rows of ``entity`` (all stored rows of a small entity)."""
        stored = self._small(entity)
        if stored is not None:
            return stored
        ids = [item.row["id"] for item in pending if item.entity == entity]
        return {i: c for (_e, i), c in self.centers([(entity, i) for i in ids]).items()}

    def deletes(self, deletes: list[tuple[str, str]], centers: dict[tuple[str, str], str | None]) -> None:
        """Tombstones for deleted rows, after every upsert (their stored center keeps them scoped)."""
        for start in range(0, len(deletes), _BATCH):
            out = []
            for entity, entity_id in deletes[start : start + _BATCH]:
                out.append(
                    (
                        self.next,
                        entity,
                        entity_id,
                        "delete",
                        _NULL,
                        centers.get((entity, entity_id)),
                        self.created,
                    )
                )
                self.next += 1
            self._write(out)

    def centers(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The stored center of each key that has a live row (keys without one are left out)."""
        by_entity: dict[str, list[str]] = defaultdict(list)
        for entity, entity_id in keys:
            by_entity[entity].append(entity_id)
        found: dict[tuple[str, str], str | None] = {}
        self._end_copy()
        for entity, ids in by_entity.items():
            stored = self._small(entity)
            if stored is not None:
                found.update({(entity, i): stored[i] for i in ids if i in stored})
                continue
            for start in range(0, len(ids), _BATCH):
                query = select(CurrentRow.entity_id, CurrentRow.center_id).where(
                    CurrentRow.entity == entity, CurrentRow.entity_id.in_(ids[start : start + _BATCH])
                )
                found.update({(entity, i): c for i, c in self.conn.execute(query)})
        return found

    def _small(self, entity: str) -> dict[str, str | None] | None:
        """Every stored row's center when ``entity`` has at most _SMALL rows (read once: the table does
        not change until the fold); None for a bigger one, which is looked up a batch at a time."""
        if entity not in self._stored:
            self._end_copy()
            where = CurrentRow.entity == entity
            count = self.conn.execute(select(func.count()).select_from(CurrentRow).where(where)).scalar_one()
            query = select(CurrentRow.entity_id, CurrentRow.center_id).where(where)
            self._stored[entity] = dict(self.conn.execute(query).all()) if count <= _SMALL else None
        return self._stored[entity]

    def _write(self, rows: list[tuple]) -> None:
        if not self.postgres:
            sql = f"INSERT INTO masterdata_changes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            self.conn.exec_driver_sql(sql, rows)
            return
        if self._copy is None:  # one COPY for as long as no query needs the connection
            cursor = self._copying.enter_context(self.conn.connection.driver_connection.cursor())
            sql = f"COPY masterdata_changes ({_COLUMNS}) FROM STDIN"
            self._copy = self._copying.enter_context(cursor.copy(sql))
        for row in rows:
            self._copy.write_row(row)

    def _end_copy(self) -> None:
        if self._copy is not None:
            self._copy = None
            self._copying.close()


class _Origins:
    """Where each imported row came from, kept as runs (file, first row number) instead of per row."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # upsert ordinal where a run starts
        self.runs: list[tuple[str, int]] = []  # (file, row number at the start)
        self.count = 0
        self._file, self._number = "", -1  # what continues the current run

    def add(self, file: str, number: int) -> int:
        """Record the next upsert; returns its ordinal."""
        if number != self._number or file != self._file:
            self.starts.append(self.count)
            self.runs.append((file, number))
            self._file = file
        self._number = number + 1
        self.count += 1
        return self.count - 1

    def of(self, ordinal: int) -> Origin:
        index = bisect.bisect_right(self.starts, ordinal) - 1
        file, number = self.runs[index]
        return Origin(file=file, row=number + ordinal - self.starts[index])


def import_streams(
    session: Session, sources: list[tuple[str, Opener]], *, lock: Callable[[Session], None]
) -> tuple[ImportResult, ImportedState]:
    """Read, write, fold and check ``sources`` (file name, opener) in the caller's transaction; raise
    MasterDataInvalid (after which the caller must roll back) listing every problem."""
    lock(session)
    first = (session.scalar(select(ChangeRow.seq).order_by(ChangeRow.seq.desc()).limit(1)) or 0) + 1
    writer = _LogWriter(session, first)
    origins = _Origins()
    state = ImportedState(first=first)
    errors: list[FieldError] = []
    error_count = 0
    for name, open_stream in sources:
        with open_stream() as stream:
            reader = ImportReader(name, stream)
            for item in reader:
                if isinstance(item, Delete):
                    state.deletes.append((item.entity, item.entity_id))
                    state.delete_files.append(reader.file)
                elif not errors and not reader.errors:
                    state.note(item.entity, item.row, origins.add(reader.file, item.number))
                    writer.upsert(item)
        error_count += len(reader.errors)
        errors += reader.errors[: MAX_ERRORS + 1 - len(errors)]
    if error_count:
        raise MasterDataInvalid(capped(errors, error_count))
    writer.finish()
    state.last_upsert = writer.next - 1
    state.ordinal_origin = origins.of
    state.ordinal_of = lambda seq: seq - first - bisect.bisect_left(writer.tombstones, seq)
    stored = writer.centers(state.deletes)
    writer.deletes(state.deletes, stored)
    writer.finish()
    state.replaces = writer.replaced > 0
    state.stored_deletes = set(stored)
    problems = check_result(session, state, refused=fold(session, state))
    if problems:
        raise MasterDataInvalid(problems)
    missing = [key for key in state.deletes if key not in state.stored_deletes]
    if missing:
        raise MasterDataInvalid(
            [FieldError(field=f"deletes.{e}", message=f"{e} {i!r} does not exist") for e, i in missing[:50]]
        )
    applied = writer.next - first
    result = ImportResult(
        applied=applied,
        upserts=origins.count,
        deletes=len(state.deletes),
        first_seq=first if applied else None,
        last_seq=writer.next - 1 if applied else None,
    )
    return result, state

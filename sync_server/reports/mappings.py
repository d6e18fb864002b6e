"""Cross-reference mappings: sets of effective-dated key → value entries, edited by admins and read by
report runs.

``MappingSets`` is the admin service (CRUD, CSV import and export); every change is audited in its own
transaction and moves the set's ``updated_at`` strictly forward, which ``MappingLookup`` uses as the
set's version. Both hold only an engine, so one instance may be shared by threads. The resolution rules
themselves are ``mapping_rules`` (shared with the sandboxed transform process).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from sync_server.reports.mapping_csv import (
    ImportResult,
    ParsedRow,
    check_overlaps,
    entry_problem,
    parse_csv,
    write_csv,
)
from sync_server.reports.mapping_rules import Entry, MappingTable, OnMissing
from sync_server.reports.tables import mapping_entries, mapping_sets
from sync_server.services.audit import append_audit
from sync_server.services.clock import aware, utcnow

SET_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
MAX_TITLE = 255
MAX_FALLBACK = 4000
MAX_PAGE = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INSERT_CHUNK = 5000


class MappingError(ValueError):
    """A set or entry that breaks a rule (bad id, field too long, from after to, ...)."""


class OverlappingEntry(MappingError):
    """An entry whose effective range overlaps another entry of the same key in the set."""


class UnknownMappingSet(LookupError):
    """No mapping set with that id."""

    def __init__(self, set_id: str) -> None:
        super().__init__(f"no mapping set {set_id!r}")
        self.set_id = set_id


class UnknownMappingEntry(LookupError):
    """No mapping entry with that id (in that set)."""


def _entry_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "set_id": row.set_id,
        "key": row.key,
        "value": row.value,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
    }


def _touch(conn: Connection, set_id: str, actor: str) -> None:
    """Lock the set's row for this transaction (PostgreSQL row lock, SQLite write lock) and move its
    ``updated_at`` strictly forward, so a cached copy sees the change even under a stopped clock."""
    t = mapping_sets
    if not conn.execute(update(t).where(t.c.id == set_id).values(updated_by=actor[:64])).rowcount:
        raise UnknownMappingSet(set_id)
    old = aware(conn.execute(select(t.c.updated_at).where(t.c.id == set_id)).scalar_one())
    stamp = max(utcnow(), old + dt.timedelta(microseconds=1))
    conn.execute(update(t).where(t.c.id == set_id).values(updated_at=stamp))


class MappingSets:
    """Admin operations on mapping sets and their entries. Stateless over the engine: thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- sets ---------------------------------------------------------------------------------------

    def sets(self, *, set_id: str | None = None) -> list[dict[str, Any]]:
        """Every set (or the one named), by id, with its entry count as ``entries``."""
        counts = select(mapping_entries.c.set_id, func.count().label("n")).group_by(mapping_entries.c.set_id)
        if set_id is not None:
            counts = counts.where(mapping_entries.c.set_id == set_id)
        counted = counts.subquery()
        query = (
            select(mapping_sets, func.coalesce(counted.c.n, 0).label("entries"))
            .outerjoin(counted, counted.c.set_id == mapping_sets.c.id)
            .order_by(mapping_sets.c.id)
        )
        if set_id is not None:
            query = query.where(mapping_sets.c.id == set_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def get_set(self, set_id: str) -> dict[str, Any] | None:
        """One set with its entry count, or None."""
        found = self.sets(set_id=set_id)
        return found[0] if found else None

    def save_set(
        self,
        set_id: str,
        *,
        title: str,
        on_missing: OnMissing = "fail",
        fallback: str | None = None,
        actor: str,
    ) -> dict[str, Any]:
        """Create the set or change its title and missing-key rule; returns the set."""
        if not _valid_id(set_id):
            raise MappingError(f"a mapping set id is 1-64 of A-Z a-z 0-9 _ . - (got {set_id!r})")
        if not title.strip() or len(title) > MAX_TITLE or _CONTROL.search(title):
            raise MappingError(f"a title is 1-{MAX_TITLE} printable characters")
        if on_missing not in get_args(OnMissing):
            raise MappingError(f"on_missing is one of {', '.join(get_args(OnMissing))} (got {on_missing!r})")
        if fallback is not None and (len(fallback) > MAX_FALLBACK or "\x00" in fallback):
            raise MappingError(f"a fallback is at most {MAX_FALLBACK} characters, without NUL")
        values = {"title": title, "on_missing": on_missing, "fallback": fallback}
        with self.engine.begin() as conn:
            try:
                _touch(conn, set_id, actor)
                created = False
                conn.execute(update(mapping_sets).where(mapping_sets.c.id == set_id).values(**values))
            except UnknownMappingSet:
                created = True
                conn.execute(
                    insert(mapping_sets).values(
                        id=set_id, updated_at=utcnow(), updated_by=actor[:64], **values
                    )
                )
            append_audit(
                conn,
                actor=actor,
                action="reports.mapping.save",
                target=set_id,
                details=values | {"created": created},
            )
        saved = self.get_set(set_id)
        assert saved is not None
        return saved

    def delete_set(self, set_id: str, *, actor: str) -> int:
        """Delete the set and its entries; returns how many entries went with it."""
        with self.engine.begin() as conn:
            _touch(conn, set_id, actor)
            gone = conn.execute(delete(mapping_entries).where(mapping_entries.c.set_id == set_id)).rowcount
            conn.execute(delete(mapping_sets).where(mapping_sets.c.id == set_id))
            append_audit(
                conn, actor=actor, action="reports.mapping.delete", target=set_id, details={"entries": gone}
            )
        return gone

    # -- entries ------------------------------------------------------------------------------------

    def entries(
        self, set_id: str, *, key: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """A page of the set's entries (all keys, or one), by key then effective_from (open first)."""
        t = mapping_entries
        query = select(t).where(t.c.set_id == set_id)
        if key is not None:
            query = query.where(t.c.key == key)
        query = (
            query.order_by(t.c.key, t.c.effective_from.asc().nulls_first(), t.c.id)
            .limit(max(0, min(limit, MAX_PAGE)))
            .offset(max(0, offset))
        )
        with self.engine.connect() as conn:
            return [_entry_dict(r) for r in conn.execute(query)]

    def put_entry(
        self,
        set_id: str,
        key: str,
        value: str,
        *,
        effective_from: dt.date | None = None,
        effective_to: dt.date | None = None,
        actor: str,
        entry_id: int | None = None,
    ) -> dict[str, Any]:
        """Add an entry, or change entry ``entry_id``; refuses (``OverlappingEntry``) a range that
        overlaps another entry of the same key. Returns the entry."""
        problem = entry_problem(key, value, effective_from, effective_to)
        if problem:
            raise MappingError(problem)
        t = mapping_entries
        values = {"key": key, "value": value, "effective_from": effective_from, "effective_to": effective_to}
        with self.engine.begin() as conn:
            _touch(conn, set_id, actor)  # from here on no other writer changes this set
            others = [r for r in _existing(conn, set_id, {key}) if r.existing_id != entry_id]
            clash = check_overlaps([ParsedRow(1, key, value, effective_from, effective_to)], others)
            if clash:
                raise OverlappingEntry(clash[0].reason)
            if entry_id is None:
                entry_id = conn.execute(insert(t).values(set_id=set_id, **values)).inserted_primary_key[0]
            elif not conn.execute(
                update(t).where(t.c.id == entry_id, t.c.set_id == set_id).values(**values)
            ).rowcount:
                raise UnknownMappingEntry(f"mapping set {set_id!r} has no entry {entry_id}")
            append_audit(
                conn,
                actor=actor,
                action="reports.mapping.entry.put",
                target=set_id,
                details={"id": entry_id, **_plain(values)},
            )
            return _entry_dict(conn.execute(select(t).where(t.c.id == entry_id)).one())

    def delete_entry(self, entry_id: int, *, actor: str, set_id: str | None = None) -> None:
        """Delete one entry (only from ``set_id`` when given)."""
        t = mapping_entries
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.id == entry_id)).first()
            if row is None or (set_id is not None and row.set_id != set_id):
                raise UnknownMappingEntry(
                    f"no mapping entry {entry_id}" + (f" in {set_id!r}" if set_id else "")
                )
            _touch(conn, row.set_id, actor)
            if not conn.execute(delete(t).where(t.c.id == entry_id)).rowcount:  # deleted meanwhile
                raise UnknownMappingEntry(f"no mapping entry {entry_id}")
            append_audit(
                conn,
                actor=actor,
                action="reports.mapping.entry.delete",
                target=row.set_id,
                details=_plain(_entry_dict(row)),
            )

    # -- CSV ----------------------------------------------------------------------------------------

    def import_csv(self, set_id: str, data: bytes, *, replace: bool, actor: str) -> ImportResult:
        """Load ``key,value,effective_from,effective_to`` rows (see ``mapping_csv``) into the set, all or
        nothing: any bad row (each reported with its line) leaves the set as it was. ``replace`` swaps
        the set's entries for the file's; otherwise the rows are added and may not overlap existing
        entries. Raises ``UnknownMappingSet``."""
        rows, errors = parse_csv(data)
        with self.engine.connect() as conn, conn.begin() as tx:
            _touch(conn, set_id, actor)
            existing = [] if replace else _existing(conn, set_id, {r.key for r in rows})
            errors = errors + check_overlaps(rows, existing)
            if errors:
                tx.rollback()
                return ImportResult(imported=0, deleted=0, errors=errors)
            deleted = 0
            if replace:
                deleted = conn.execute(
                    delete(mapping_entries).where(mapping_entries.c.set_id == set_id)
                ).rowcount
            for start in range(0, len(rows), _INSERT_CHUNK):
                chunk = rows[start : start + _INSERT_CHUNK]
                conn.execute(insert(mapping_entries), [{"set_id": set_id, **r.columns()} for r in chunk])
            append_audit(
                conn,
                actor=actor,
                action="reports.mapping.import",
                target=set_id,
                details={"replace": replace, "imported": len(rows), "deleted": deleted, "bytes": len(data)},
            )
            tx.commit()
        return ImportResult(imported=len(rows), deleted=deleted, errors=[])

    def export_csv(self, set_id: str) -> bytes:
        """The set's entries as UTF-8 CSV in the import format (so an export imports back unchanged)."""
        t = mapping_entries
        with self.engine.connect() as conn:
            if conn.execute(select(mapping_sets.c.id).where(mapping_sets.c.id == set_id)).first() is None:
                raise UnknownMappingSet(set_id)
            rows = conn.execute(
                select(t.c.key, t.c.value, t.c.effective_from, t.c.effective_to)
                .where(t.c.set_id == set_id)
                .order_by(t.c.key, t.c.effective_from.asc().nulls_first(), t.c.id)
            )
            return write_csv(Entry(r.key, r.value, r.effective_from, r.effective_to) for r in rows)


class MappingLookup:
    """Resolves keys through mapping sets for report runs, caching each set's ``MappingTable``.

    A cached table is used for ``ttl_s`` seconds; then the set's ``updated_at`` is read again and the
    entries reloaded only if it moved. Thread-safe: a lock guards the cache and a per-set lock makes
    concurrent callers wait for one load instead of each loading. A returned table is never mutated, so
    a run that keeps it sees one consistent version of the set.
    """

    def __init__(self, engine: Engine, *, ttl_s: float = 60, clock: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._cache: dict[str, _Cached] = {}
        self.loads = 0  # how many times entries were read from the database (tests, metrics)

    def table(self, set_id: str) -> MappingTable:
        """The set's table, from the cache when fresh. Raises ``UnknownMappingSet``."""
        with self._lock:
            cached = self._fresh(set_id)
            if cached:
                return cached.table
            set_lock = self._loading.setdefault(set_id, threading.Lock())
        with set_lock:
            with self._lock:
                cached = self._fresh(set_id)
                if cached:
                    return cached.table
                stale = self._cache.get(set_id)
            table, version = self._load(set_id, stale)
            with self._lock:
                self._cache[set_id] = _Cached(table, version, self._clock())
                self.loads += stale is None or table is not stale.table
            return table

    def lookup(self, set_id: str, key: Any, on: dt.date | None = None) -> str | None:
        """``key``'s value on ``on`` (default: today, UTC), or the set's rule for a missing key:
        raises ``MissingMapping`` (``fail``), gives the fallback, or the key itself (``keep``)."""
        return self.table(set_id).resolve(key, on or utcnow().date())

    def invalidate(self, set_id: str | None = None) -> None:
        """Forget one cached set, or all: the next read goes to the database."""
        with self._lock:
            if set_id is None:
                self._cache.clear()
            else:
                self._cache.pop(set_id, None)

    def _fresh(self, set_id: str) -> _Cached | None:
        cached = self._cache.get(set_id)
        return cached if cached and self._clock() - cached.checked < self.ttl_s else None

    def _load(self, set_id: str, stale: _Cached | None) -> tuple[MappingTable, dt.datetime]:
        with self.engine.connect() as conn:
            # The head first: an edit committed between the two reads is then loaded again next time.
            head = conn.execute(select(mapping_sets).where(mapping_sets.c.id == set_id)).first()
            if head is None:
                self.invalidate(set_id)
                raise UnknownMappingSet(set_id)
            version = aware(head.updated_at)
            if stale and stale.version == version:
                return stale.table, version
            t = mapping_entries
            rows = conn.execute(
                select(t.c.key, t.c.value, t.c.effective_from, t.c.effective_to).where(t.c.set_id == set_id)
            )
            entries = [Entry(r.key, r.value, r.effective_from, r.effective_to) for r in rows]
        return MappingTable.of(set_id, entries, on_missing=head.on_missing, fallback=head.fallback), version


@dataclass(frozen=True)
class _Cached:
    table: MappingTable
    version: dt.datetime
    checked: float


def _valid_id(set_id: str) -> bool:
    return bool(re.fullmatch(SET_ID_PATTERN, set_id))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def _existing(conn: Connection, set_id: str, keys: Iterable[str]) -> list[ParsedRow]:
    """The set's entries for ``keys``, as rows without a line (``line=0``) for the overlap check."""
    wanted = set(keys)
    t = mapping_entries
    query = select(t.c.id, t.c.key, t.c.value, t.c.effective_from, t.c.effective_to).where(
        t.c.set_id == set_id
    )
    if len(wanted) == 1:
        query = query.where(t.c.key.in_(wanted))
    rows = conn.execute(query)
    return [
        ParsedRow(0, r.key, r.value, r.effective_from, r.effective_to, existing_id=r.id)
        for r in rows
        if r.key in wanted
    ]

"""The append-only master-data change log, its folded current rows, the delta feed and snapshots."""

from __future__ import annotations

import functools
import io
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.sync import ChangesPage, FieldError, ImportResult, MasterDataChange, Snapshot
from sync_server.db.tables import ChangeRow, CurrentRow
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow
from sync_server.services.masterdata_import import import_streams
from sync_server.services.masterdata_refs import Origin
from sync_server.services.masterdata_rules import Deletes, MasterDataInvalid, Upserts, parse_import
from sync_server.services.roles import KIOSK_ROLES

_BATCH = 5000


def lock_log(session: Session) -> None:
    """One writer of the log at a time so seq order equals commit order (readers never skip a seq)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE masterdata_changes IN EXCLUSIVE MODE"))


def _upsert_current(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CurrentRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["entity", "entity_id"],
        set_={"center_id": stmt.excluded.center_id, "data": stmt.excluded.data, "seq": stmt.excluded.seq},
    )
    for start in range(0, len(rows), _BATCH):
        session.execute(stmt, rows[start : start + _BATCH])


def append_changes(session: Session, *, upserts: Upserts, deletes: Deletes) -> ImportResult:
    """Append upserts then tombstones to the log and fold them into current rows, in the caller's
    transaction (all-or-nothing). A row moving to another center leaves a tombstone for the old one."""
    lock_log(session)
    deleted_ids = defaultdict(set)
    for entity, entity_id in deletes:
        deleted_ids[entity].add(entity_id)
    wanted = defaultdict(set)
    for entity, row in upserts:
        wanted[entity].add(row["id"])
    previous: dict[tuple[str, str], str | None] = {}
    for entity in set(wanted) | set(deleted_ids):
        ids = list(wanted[entity] | deleted_ids[entity])
        for start in range(0, len(ids), _BATCH):
            for entity_id, center in session.execute(
                select(CurrentRow.entity_id, CurrentRow.center_id).where(
                    CurrentRow.entity == entity, CurrentRow.entity_id.in_(ids[start : start + _BATCH])
                )
            ):
                previous[(entity, entity_id)] = center
    missing = [(e, i) for e, i in deletes if (e, i) not in previous and i not in wanted[e]]
    if missing:
        raise MasterDataInvalid(
            [FieldError(field=f"deletes.{e}", message=f"{e} {i!r} does not exist") for e, i in missing[:50]]
        )
    first = (session.scalar(select(func.max(ChangeRow.seq))) or 0) + 1
    now = utcnow()
    log: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []

    def change(entity: str, entity_id: str, op: str, data: Any, center: Any) -> int:
        """Append one change-log row at the next sequence number; returns that number."""
        number = first + len(log)
        log.append(
            dict(
                seq=number,
                entity=entity,
                entity_id=entity_id,
                op=op,
                data=data,
                center_id=center,
                created_at=now,
            )
        )
        return number

    for entity, row in upserts:
        center = row.get("center_id")
        old = previous.get((entity, row["id"]))
        if old is not None and old != center:  # moved to another center: its old center drops it
            change(entity, row["id"], "delete", None, old)
        seq = change(entity, row["id"], "upsert", row, center)
        current.append(dict(entity=entity, entity_id=row["id"], center_id=center, data=row, seq=seq))
        previous[(entity, row["id"])] = center
    for entity, entity_id in deletes:
        change(entity, entity_id, "delete", None, previous.get((entity, entity_id)))
    for start in range(0, len(log), _BATCH):
        session.execute(insert(ChangeRow), log[start : start + _BATCH])
    # Later rows for the same id win: keep the last occurrence only.
    folded = {(r["entity"], r["entity_id"]): r for r in current}
    _upsert_current(session, list(folded.values()))
    for entity, ids in deleted_ids.items():
        id_list = list(ids)
        for start in range(0, len(id_list), _BATCH):
            session.execute(
                delete(CurrentRow).where(
                    CurrentRow.entity == entity, CurrentRow.entity_id.in_(id_list[start : start + _BATCH])
                )
            )
    return ImportResult(
        applied=len(log),
        upserts=len(upserts),
        deletes=len(deletes),
        first_seq=first if log else None,
        last_seq=first + len(log) - 1 if log else None,
    )


def parse_documents(
    documents: list[tuple[str, bytes]],
) -> tuple[Upserts, Deletes, list[Origin], list[Origin]]:
    """Every file parsed, each row's origin (file, row: a CSV's row 1 is its header) kept for error
    messages; MasterDataInvalid lists the problems of all files at once."""
    upserts: Upserts = []
    deletes: Deletes = []
    origins: list[Origin] = []
    delete_origins: list[Origin] = []
    errors: list[FieldError] = []
    for name, content in documents:
        try:
            more_upserts, more_deletes = parse_import(name, content)
        except MasterDataInvalid as exc:
            errors += exc.errors
            continue
        file = Path(name).name
        first_row = 2 if file.lower().endswith(".csv") else 1
        numbers: dict[str, int] = {}
        for entity, _row in more_upserts:
            numbers[entity] = numbers.get(entity, first_row - 1) + 1
            origins.append(Origin(file=file, row=numbers[entity]))
        delete_origins += [Origin(file=file) for _ in more_deletes]
        upserts += more_upserts
        deletes += more_deletes
    if errors:
        raise MasterDataInvalid(errors)
    return upserts, deletes, origins, delete_origins


def import_documents(
    session: Session, documents: list[tuple[str, bytes]], *, actor: str | None = None
) -> ImportResult:
    """Validate every file (all problems reported together), then the state the import leaves
    (references, cycles, duplicate ids, UI specs against their schemas); all in one go, in the caller's
    transaction, which must roll back when MasterDataInvalid is raised (``masterdata_import``). With
    ``actor``, the import (and the user accounts it changes) goes to the audit log in the same
    transaction."""
    sources = [(name, functools.partial(io.BytesIO, content)) for name, content in documents]
    return _import(session, sources, actor=actor)


def import_paths(
    session: Session,
    paths: list[Path],
    *,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """:func:`import_documents` reading each file as it goes: memory stays flat whatever its size.
    ``progress(n)`` is told the bytes of ``paths`` read so far, as they are read."""
    if progress is None:
        return _import(session, [(p.name, functools.partial(Path(p).open, "rb")) for p in paths], actor=actor)
    read = 0

    def count(size: int) -> None:
        nonlocal read
        read += size
        progress(read)

    return _import(session, [(p.name, functools.partial(_CountedFile, p, count)) for p in paths], actor=actor)


class _CountedFile(io.BufferedReader):
    """A file that tells ``count`` the size of every read (the JSON reader's and the CSV reader's)."""

    def __init__(self, path: Path, count: Callable[[int], None]) -> None:
        super().__init__(io.FileIO(path, "r"))
        self._count = count

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._count(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self._count(len(data))
        return data


def _import(session: Session, sources: list, *, actor: str | None) -> ImportResult:
    result, state = import_streams(session, sources, lock=lock_log)
    if actor is not None:
        files = [name for name, _ in sources]
        append_audit(
            session,
            actor=actor,
            action="masterdata.import",
            details={"files": _names(files), **result.model_dump()},
        )
        removed = {entity_id for entity, entity_id in state.deletes if entity == "users"}
        _audit_user_changes(session, actor=actor, files=files, changed=state.users, removed=removed)
    return result


def _names(values: list[str]) -> list[str]:
    """At most 50 names of at most 64 characters each: an audit entry stays small whatever the
    import holds (the counts beside them say how many there were)."""
    return [v[:64] for v in values[:50]]


def _audit_user_changes(
    session: Session, *, actor: str, files: list[str], changed: set[str], removed: set[str]
) -> None:
    """User accounts are master data: an import that touches any gets its own ``users.change`` entry."""
    if changed or removed:
        append_audit(
            session,
            actor=actor,
            action="users.change",
            details={
                "files": _names(files),
                "upserted": _names(sorted(changed)),
                "deleted": _names(sorted(removed)),
                "count": len(changed) + len(removed),
            },
        )


def _scope(entity, column, center_id: str | None):
    """Rows a kiosk of ``center_id`` may hold: its center's and global ones, but users only of its center."""
    shared = and_(column.is_(None), entity != "users")
    return shared if center_id is None else or_(shared, column == center_id)


def _kiosk_user(data: dict[str, Any] | None) -> bool:
    roles = data.get("roles") if isinstance(data, dict) else None
    return isinstance(roles, list) and not KIOSK_ROLES.isdisjoint(roles)


def _for_kiosk(seq: int, entity: str, entity_id: str, op: str, data: dict[str, Any] | None):
    """A user of the center without a kiosk role travels as a tombstone: a kiosk that holds the row from
    before (the role was taken away, or an older server sent it) drops it."""
    if entity == "users" and op == "upsert" and not _kiosk_user(data):
        return MasterDataChange(seq=seq, entity=entity, id=entity_id, op="delete", data=None)
    return MasterDataChange(seq=seq, entity=entity, id=entity_id, op=op, data=data)


def latest_seq(session: Session) -> int:
    return session.scalar(select(func.max(ChangeRow.seq))) or 0


def changes_page(session: Session, *, center_id: str | None, since: int, limit: int) -> ChangesPage:
    rows = list(
        session.execute(
            select(ChangeRow.seq, ChangeRow.entity, ChangeRow.entity_id, ChangeRow.op, ChangeRow.data)
            .where(ChangeRow.seq > since, _scope(ChangeRow.entity, ChangeRow.center_id, center_id))
            .order_by(ChangeRow.seq)
            .limit(limit + 1)
        )
    )
    complete = len(rows) <= limit
    rows = rows[:limit]
    changes = [_for_kiosk(*row) for row in rows]
    # When complete, skip past changes scoped to other centers too: the next ask starts at the log head.
    next_cursor = max(since, latest_seq(session)) if complete else changes[-1].seq
    return ChangesPage(changes=changes, next_cursor=next_cursor, complete=complete)


def snapshot(session: Session, *, center_id: str | None) -> Snapshot:
    cursor = latest_seq(session)
    entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = (
        select(CurrentRow.entity, CurrentRow.data)
        .where(CurrentRow.seq <= cursor, _scope(CurrentRow.entity, CurrentRow.center_id, center_id))
        .order_by(CurrentRow.entity, CurrentRow.entity_id)
    )
    for entity, data in session.execute(query):
        if entity != "users" or _kiosk_user(data):
            entities[entity].append(data)
    return Snapshot(cursor=cursor, center_id=center_id, entities=dict(entities))


def current_row(session: Session, entity: str, entity_id: str) -> dict[str, Any] | None:
    row = session.get(CurrentRow, (entity, entity_id))
    return row.data if row else None

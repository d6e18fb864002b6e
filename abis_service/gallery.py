"""The reference gallery in its own SQLite file: reference ids, their templates, and the answers already
given (so a request sent twice is answered twice the same way, and inserted once).

One ``Gallery`` per process; its methods are called under the service's lock, so one connection
(``check_same_thread=False``) serves every request thread. Writes are one transaction each (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from abis_service.templates import Template

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reference (reference_id TEXT PRIMARY KEY, inserted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS template (
    reference_id TEXT NOT NULL REFERENCES reference(reference_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, modality TEXT NOT NULL, subtype TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (reference_id, seq));
CREATE TABLE IF NOT EXISTS answer (request_id TEXT PRIMARY KEY, action TEXT NOT NULL, body TEXT NOT NULL);
"""


class Gallery:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def answer(self, request_id: str) -> tuple[str, dict[str, Any]] | None:
        """(action, response) already given to ``request_id``, if any."""
        row = self._db.execute(
            "SELECT action, body FROM answer WHERE request_id = ?", (request_id,)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def remember(self, request_id: str, action: str, body: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO answer (request_id, action, body) VALUES (?, ?, ?)",
            (request_id, action, json.dumps(body, separators=(",", ":"))),
        )

    def exists(self, reference_id: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM reference WHERE reference_id = ?", (reference_id,)).fetchone()
            is not None
        )

    def insert(
        self,
        reference_id: str,
        templates: list[Template],
        *,
        at: str,
        request_id: str,
        answer: dict[str, Any],
    ) -> None:
        """Store the reference, its templates and the answer in one transaction."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO reference (reference_id, inserted_at) VALUES (?, ?)", (reference_id, at)
            )
            self._db.executemany(
                "INSERT INTO template (reference_id, seq, modality, subtype, data) VALUES (?, ?, ?, ?, ?)",
                [(reference_id, i, t.modality, t.subtype, t.data) for i, t in enumerate(templates)],
            )
            self.remember(request_id, "insert", answer)

    def delete(self, reference_id: str, *, request_id: str, answer: dict[str, Any]) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM reference WHERE reference_id = ?", (reference_id,))
            self.remember(request_id, "delete", answer)

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM reference").fetchone()[0])

    def templates(self, reference_id: str | None = None) -> dict[str, list[Template]]:
        """Every reference's templates (or one reference's), by reference id."""
        sql = "SELECT reference_id, modality, subtype, data FROM template"
        rows = (
            self._db.execute(sql + " WHERE reference_id = ? ORDER BY seq", (reference_id,))
            if reference_id
            else self._db.execute(sql + " ORDER BY reference_id, seq")
        )
        found: dict[str, list[Template]] = {}
        for ref, modality, subtype, data in rows:
            found.setdefault(ref, []).append(Template(modality, subtype, bytes(data)))
        return found

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (the connection is in autocommit otherwise): commit, or roll back on error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

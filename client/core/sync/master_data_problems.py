"""The kiosk's record of master-data changes it skipped (client DB table ``masterdata_problems``, plus an
audit entry each), and the report of them to the server (POST /api/v1/masterdata/problems)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from client.core.audit import append_audit
from client.core.master_data_checks import SkippedChange
from client.core.store import Store
from client.core.sync.transport import ServerRefused, TransportError
from shared.sync.problems import MAX_PROBLEMS_PER_REPORT, MAX_REASON_CHARS

log = logging.getLogger(__name__)


def _reportable(value: str, limit: int) -> str:
    """Within what the server's report model accepts, so one odd value never blocks every report."""
    return value.replace("\x00", "")[:limit] or "?"


def record_skipped(conn: Connection, skipped: list[SkippedChange]) -> None:
    """Keep each skipped change once (a re-sent page does not duplicate it) and audit it."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for s in skipped:
        reason = _reportable(s.reason, MAX_REASON_CHARS)
        added = conn.execute(
            text(
                "INSERT OR IGNORE INTO masterdata_problems (seq, entity, id, reason, seen_at) "
                "VALUES (:seq, :entity, :id, :reason, :at)"
            ),
            {
                "seq": max(0, s.seq),
                "entity": _reportable(s.entity, 64),
                "id": _reportable(s.id, 200),
                "reason": reason,
                "at": now,
            },
        ).rowcount
        if added:
            append_audit(
                conn,
                actor=None,
                action="masterdata.skipped",
                details={"seq": s.seq, "entity": s.entity, "id": s.id, "reason": reason},
            )


def skipped_changes(store: Store) -> list[dict[str, Any]]:
    """Every change this kiosk skipped, oldest first (for the sync centre and support)."""
    with store.transaction() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, entity, id, reason, seen_at, reported_at FROM masterdata_problems "
                "ORDER BY seq, entity, id"
            )
        ).mappings()
        return [dict(r) for r in rows]


def report_skipped(store: Store, source: Any) -> int:
    """Send unreported problems to the server; return how many it took. Best effort: on a network
    failure or refusal they stay unreported and go with the next sync."""
    sent = 0
    while True:
        with store.transaction() as conn:
            rows = list(
                conn.execute(
                    text(
                        "SELECT seq, entity, id, reason, seen_at FROM masterdata_problems "
                        "WHERE reported_at IS NULL ORDER BY seq LIMIT :n"
                    ),
                    {"n": MAX_PROBLEMS_PER_REPORT},
                ).mappings()
            )
        if not rows:
            return sent
        try:
            source.report_problems([dict(r) for r in rows])
        except (TransportError, ServerRefused) as exc:
            log.warning("could not report %d skipped master-data change(s): %s", len(rows), exc)
            return sent
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with store.transaction() as conn:
            conn.execute(
                text(
                    "UPDATE masterdata_problems SET reported_at = :at "
                    "WHERE seq = :seq AND entity = :entity AND id = :id"
                ),
                [{"at": now, "seq": r["seq"], "entity": r["entity"], "id": r["id"]} for r in rows],
            )
        sent += len(rows)

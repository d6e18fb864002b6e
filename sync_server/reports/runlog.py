"""A run's timeline and live log: events in ``report_run_events``, written as each stage starts and
ends, read by run details (polling or Server-Sent Events) while the run goes on.

Each event is its own short transaction, so readers in other processes see it at once. Messages are
bounded; nothing secret is ever logged (connector errors arrive already redacted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select

from sync_server.reports.tables import report_run_events
from sync_server.services.clock import utcnow

MAX_MESSAGE = 8_000
log = logging.getLogger("openreg.reports")


@dataclass
class RunLog:
    engine: Engine
    run_id: int

    def event(self, stage: str, level: str, message: str) -> None:
        """Record one event (``level``: start, ok, info, warn, error)."""
        message = message[:MAX_MESSAGE]
        with self.engine.begin() as conn:
            conn.execute(
                insert(report_run_events).values(
                    run_id=self.run_id, at=utcnow(), stage=stage, level=level, message=message
                )
            )
        log.log(
            logging.WARNING if level in ("warn", "error") else logging.INFO,
            "run %s %s: %s",
            self.run_id,
            stage,
            message.splitlines()[0] if message else "",
        )


def run_events(engine: Engine, run_id: int, *, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Events of ``run_id`` with id > ``after``, oldest first."""
    query = (
        select(report_run_events)
        .where(report_run_events.c.run_id == run_id, report_run_events.c.id > after)
        .order_by(report_run_events.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]

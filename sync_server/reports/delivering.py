"""Apply a run's delivery routes: pick the files each route wants, send them with retries, record
every attempt in ``report_deliveries``. A failed delivery leaves the artifacts and the run as they
are; run details can send them again (``force``: even routes whose conditions no longer match are
tried when asked for by name)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, insert

from sync_server.reports import run_store
from sync_server.reports.artifacts import ChecksumMismatch, verify_artifact
from sync_server.reports.delivery import Destination, deliver, select_files
from sync_server.reports.runlog import RunLog
from sync_server.reports.spec import Route
from sync_server.reports.tables import report_deliveries
from sync_server.services.clock import utcnow


class DestinationPort(Protocol):
    """What runs need of the destination store (``sync_server.reports.destinations``)."""

    def destination(self, destination_id: str) -> Destination: ...


class Deliverer:
    def __init__(self, engine: Engine, destinations: DestinationPort | None, *, attempts: int = 4) -> None:
        self.engine = engine
        self.destinations = destinations
        self.attempts = attempts

    def deliver_routes(
        self,
        run_id: int,
        routes: Sequence[Route],
        *,
        status: str,
        weekday: int,
        log: RunLog,
        force: bool = False,
    ) -> bool:
        """Deliver along each route that applies; True when every delivery tried succeeded."""
        if not routes:
            return True
        stored = run_store.artifacts(self.engine, run_id)
        files = [(a["format"], Path(a["path"]), a["size"]) for a in stored]
        ok = True
        for route in routes:
            if force:  # asked for by hand: send what the route sends, whatever its conditions
                route = route.model_copy(
                    update={"statuses": [status], "weekdays": None, "min_bytes": None, "max_bytes": None}
                )
            chosen = select_files(route, status=status, weekday=weekday, artifacts=files)
            if chosen is None:
                log.event(
                    "delivery", "info", f"{route.destination}: the route's conditions do not match this run"
                )
                continue
            ok = self._deliver_one(run_id, route.destination, chosen, stored, log) and ok
        return ok

    def _deliver_one(
        self, run_id: int, destination_id: str, files: list[Path], stored: list[dict[str, Any]], log: RunLog
    ) -> bool:
        log.event("delivery", "start", f"{destination_id}: {len(files)} files")
        try:
            if self.destinations is None:
                raise RuntimeError("no destinations are configured on this server")
            for path in files:
                if not path.name.endswith(".sha256"):
                    verify_artifact(path)  # never send a file that changed since the run wrote it
            destination = self.destinations.destination(destination_id)
        except (KeyError, RuntimeError, ChecksumMismatch, FileNotFoundError, ValueError) as exc:
            self._record(run_id, destination_id, 1, "failed", str(exc), [])
            log.event("delivery", "error", f"{destination_id}: {exc}")
            return False

        def on_attempt(attempt: int, outcome: str, detail: str, placed: list[str]) -> None:
            self._record(run_id, destination_id, attempt, outcome, detail, placed)
            level = "ok" if outcome == "delivered" else "warn"
            log.event("delivery", level, f"{destination_id}, attempt {attempt}: {outcome} {detail}".rstrip())

        try:
            placed = deliver(destination, files, attempts=self.attempts, on_attempt=on_attempt)
        except Exception as exc:
            log.event("delivery", "error", f"{destination_id}: gave up after {self.attempts} attempts: {exc}")
            return False
        for artifact in stored:
            name = Path(artifact["path"]).name
            mine = [p for p in placed if p.endswith("/" + name) or p.endswith(name)]
            if mine:
                run_store.mark_delivered(self.engine, artifact["id"], mine)
        return True

    def _record(
        self, run_id: int, destination_id: str, attempt: int, outcome: str, detail: str, placed: list[str]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(report_deliveries).values(
                    run_id=run_id,
                    destination_id=destination_id,
                    attempt=attempt,
                    at=utcnow(),
                    outcome=outcome,
                    detail=detail[:4000],
                    placed=placed,
                )
            )

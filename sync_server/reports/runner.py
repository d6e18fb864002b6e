"""Run reports: claim a run row, stream the rows through the stages, record every step.

Stages, each logged to the run's timeline (``runlog``): parameters → query (the source) → mappings →
transform (sandboxed) → artifacts with row rules → SQL validations → metadata → delivery per route →
chained reports. A blocking validation failure fails the run and nothing is delivered; the artifacts
stay for inspection.

A run is claimed by inserting its row with a unique ``run_key``; whoever fails that insert does not
run. Scheduled runs key on the run time the schedule computes (``schedule.due``), triggered runs on
their trigger's mark, so every server sharing the database derives the same key and one of them runs
it. Runs may execute on scheduler threads and request threads at once: the service holds no per-run
state outside the run's own call.
"""

from __future__ import annotations

import datetime as dt
import socket
import traceback
import uuid
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import IntegrityError

from sync_server.reports import run_store
from sync_server.reports.artifacts import ArtifactSet
from sync_server.reports.builtin import BUILTIN_DEFINITIONS, REPORTS, ReportContext
from sync_server.reports.definitions import Definition, ReportDefinitions
from sync_server.reports.delivering import Deliverer, DestinationPort
from sync_server.reports.runlog import RunLog
from sync_server.reports.schedule import Calendar, due
from sync_server.reports.sources import LookupPort, QueryPort, open_source, resolve_parameters, with_mappings
from sync_server.reports.spec import INPUT_PARAMETER, SERVER_CONNECTOR, ReportSpec, SqlSource
from sync_server.reports.tables import report_runs, report_validation_results
from sync_server.reports.validations import RowRules, run_sql_check, run_status
from sync_server.services.clock import utcnow

RunProgress = Callable[[str, int], None]  # (stage, rows read so far)


def _no_progress(_stage: str, _rows: int) -> None:
    pass


class RunRefused(ValueError):
    """A run cannot start: inactive definition, bad parameters."""


@dataclass
class ReportService:
    """Report definitions, runs and artifacts in the server database; artifacts under ``out_dir``."""

    engine: Engine
    out_dir: Path
    # A fresh context per run of a built-in report (the composition root builds it over the processing
    # queue's query port).
    context_factory: Callable[[], ReportContext]
    connectors: QueryPort | None = None
    destinations: DestinationPort | None = None
    mappings: LookupPort | None = None
    holidays: Callable[[], list[dt.date]] = list  # master-data holidays
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}")
    misfire_grace: dt.timedelta = dt.timedelta(seconds=60)
    delivery_attempts: int = 4

    def __post_init__(self) -> None:
        self.definitions = ReportDefinitions(self.engine, functions=set(REPORTS))
        self.deliverer = Deliverer(self.engine, self.destinations, attempts=self.delivery_attempts)

    # -- definitions -------------------------------------------------------------------------------

    def install_builtin_definitions(self) -> None:
        """Add the built-in definitions that are missing (admins may edit or deactivate them)."""
        known = {d.id for d in self.definitions.list()}
        for definition_id, spec in BUILTIN_DEFINITIONS.items():
            if definition_id not in known:
                self.definitions.save(definition_id, spec, actor="system", audit=False)

    def calendar(self, spec: ReportSpec) -> Calendar:
        return Calendar.of(spec.schedule, self.holidays())

    # -- reads ---------------------------------------------------------------------------------------

    def runs(
        self, definition_id: str | None = None, *, limit: int = 200, offset: int = 0
    ) -> list[dict[str, Any]]:
        return run_store.runs(self.engine, definition_id, limit=limit, offset=offset)

    def run_row(self, run_id: int) -> dict[str, Any] | None:
        return run_store.run(self.engine, run_id)

    def artifacts(self, run_id: int) -> list[dict[str, Any]]:
        return run_store.artifacts(self.engine, run_id)

    # -- running ---------------------------------------------------------------------------------------

    def run_scheduled(self, definition_id: str, *, now: dt.datetime | None = None) -> int | None:
        """Called by the scheduler; runs only if this instance claims the scheduled run time."""
        definition = self.definitions.get(definition_id)
        if not definition.active or not definition.spec.schedule.cron:
            return None
        at = due(
            definition.spec.schedule,
            self.calendar(definition.spec),
            now=now or utcnow(),
            grace=self.misfire_grace,
        )
        if at is None:
            return None
        return self.run(definition_id, trigger="schedule", run_key=f"{definition_id}@{at.isoformat()}")

    def claim(
        self,
        definition_id: str,
        *,
        trigger: str = "manual",
        run_key: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        input_file: Path | None = None,
        parent_run_id: int | None = None,
    ) -> int | None:
        """Insert the run row (status running); None when another instance holds ``run_key``.

        Parameters are checked first: a bad one refuses the run (``RunRefused``) and records nothing."""
        definition = self.definitions.get(definition_id)
        if not definition.active and trigger != "manual":
            return None
        given = dict(parameters or {})
        try:
            resolve_parameters(definition.spec, given, lookups=self.mappings, run_date=utcnow().date())
        except (ValueError, LookupError) as exc:
            raise RunRefused(str(exc)) from None
        stored = given | ({INPUT_PARAMETER: str(input_file)} if input_file else {})
        try:
            with self.engine.begin() as conn:
                return conn.execute(
                    insert(report_runs).values(
                        definition_id=definition_id,
                        definition_version=definition.version,
                        run_key=run_key or f"{definition_id}@{trigger}-{uuid.uuid4().hex}",
                        trigger=trigger,
                        parameters=stored,
                        parent_run_id=parent_run_id,
                        instance=self.instance,
                        started_at=utcnow(),
                        status="running",
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            return None

    def fail_stale_runs(self, *, quiet_for: dt.timedelta = dt.timedelta(hours=2)) -> list[int]:
        """End runs a stopped server left ``running`` (see ``run_store.fail_stale_runs``)."""
        return run_store.fail_stale_runs(self.engine, self.out_dir, quiet_for=quiet_for)

    def claim_rerun(self, run_id: int, *, parameters: Mapping[str, Any] | None = None) -> int | None:
        """Claim a new run of ``run_id``'s definition: with its parameters (and its input file), or
        with new ``parameters``; ``KeyError`` for an unknown run, ``RunRefused`` for bad parameters."""
        old = run_store.run(self.engine, run_id)
        if old is None:
            raise KeyError(f"no run {run_id}")
        stored = dict(old["parameters"] or {})
        input_file = stored.pop(INPUT_PARAMETER, None)
        return self.claim(
            old["definition_id"],
            trigger="rerun",
            parameters=stored if parameters is None else parameters,
            input_file=Path(input_file) if input_file else None,
            parent_run_id=run_id,
        )

    def run(self, definition_id: str, **claim: Any) -> int | None:
        """Claim and execute a run now (in this thread); returns the run id, or None if not claimed."""
        run_id = self.claim(definition_id, **claim)
        if run_id is not None:
            self.execute(run_id)
        return run_id

    def execute(self, run_id: int, *, progress: RunProgress | None = None) -> str:
        """Run a claimed run to its end; returns its final status. Never raises for a report's fault.
        ``progress(stage, rows)`` is told the stage and the rows read so far (every 1,000 rows)."""
        row = run_store.run(self.engine, run_id)
        assert row is not None, run_id
        definition = self.definitions.get(row["definition_id"], row["definition_version"])
        log = RunLog(self.engine, run_id)
        try:
            status, rows = self._stages(run_id, row, definition, log, progress or _no_progress)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            # a sandboxed transform's failure carries the user's own stack trace; anything else ours
            trace = getattr(exc, "detail", None) or "".join(traceback.format_exception(exc, limit=-6))
            log.event("run", "error", f"{detail}\n{trace}")
            self._finish(run_id, "failed", None, detail)
            return "failed"
        self._finish(run_id, status, rows, None if status != "failed" else "a blocking validation failed")
        if status in ("succeeded", "warning"):
            self._chain(definition.id, run_id)
        return status

    def _stages(
        self, run_id: int, row: dict[str, Any], definition: Definition, log: RunLog, progress: RunProgress
    ) -> tuple[str, int]:
        spec = definition.spec
        started = utcnow()
        run_date = started.astimezone(zoneinfo.ZoneInfo(spec.schedule.timezone)).date()
        given = dict(row["parameters"] or {})
        trusted = {INPUT_PARAMETER: given.pop(INPUT_PARAMETER)} if INPUT_PARAMETER in given else {}
        params = resolve_parameters(spec, given, lookups=self.mappings, run_date=run_date, trusted=trusted)
        shown = ", ".join(f"{k} = {v}" for k, v in _shown(params).items() if k != INPUT_PARAMETER)
        log.event("query", "start", f"version {definition.version}; parameters: {shown or 'none'}")
        progress("query", 0)
        stem = f"{definition.id}-{started:%Y%m%dT%H%M%S}-run{run_id}"
        with open_source(spec, params, context=self.context_factory, queries=self.connectors) as source:
            rows = with_mappings(spec, source, lookups=self.mappings, run_date=run_date)
            if spec.mappings:
                log.event(
                    "mappings",
                    "info",
                    ", ".join(f"{m.as_column} = {m.set}({m.column})" for m in spec.mappings),
                )
            if spec.transform is not None:
                rows = self._transform(spec, rows, params, run_date, log)
            artifacts = ArtifactSet(
                self.out_dir / definition.id, stem, spec.title, rows.columns, spec.formats, spec.xml
            )
            rules = RowRules(spec.validations_of("rule"), rows.columns)
            try:
                for values in rows.rows:
                    artifacts.add(values)
                    rules.check(values)
                    if artifacts.rows % 1000 == 0:
                        progress("query", artifacts.rows)
                        if artifacts.rows % 100_000 == 0:
                            log.event("query", "info", f"{artifacts.rows:,} rows so far")
            except BaseException:
                artifacts.discard()
                raise
            finally:
                rows.close()  # ends a sandboxed transform's process early on failure
        log.event("query", "ok", _rows(artifacts.rows))
        progress("validations", artifacts.rows)
        outcomes = rules.outcomes()
        sql_params = {k: v for k, v in params.items() if k != INPUT_PARAMETER}
        for check in spec.validations_of("sql"):
            if self.connectors is None:
                raise RunRefused("database connectors are not available on this server")
            connector = check.connector or (
                spec.source.connector if isinstance(spec.source, SqlSource) else SERVER_CONNECTOR
            )
            outcomes.append(
                run_sql_check(check, lambda sql, c=connector, q=self.connectors: q.scalar(c, sql, sql_params))
            )
        status = run_status(outcomes)
        self._record_validations(run_id, outcomes, log)
        facts = [
            f"{spec.title} — version {definition.version}, run {run_id} ({row['trigger']})",
            f"{started:%Y-%m-%d %H:%M:%S} UTC, {_rows(artifacts.rows)}",
            *(f"{k} = {v}" for k, v in _shown(params).items()),
        ]
        progress("artifacts", artifacts.rows)
        written = artifacts.finish(facts)
        meta = artifacts.write_metadata(
            {
                "definition": definition.id,
                "version": definition.version,
                "title": spec.title,
                "run": run_id,
                "trigger": row["trigger"],
                "parameters": _shown(params),
                "rows": artifacts.rows,
                "started_at": started,
                "ended_at": utcnow(),
                "status": status,
                "validations": [o.__dict__ for o in outcomes],
                "files": {a.path.name: {"sha256": a.sha256, "bytes": a.size} for a in written},
            }
        )
        written.append(meta)
        run_store.add_artifacts(self.engine, run_id, written)
        log.event("artifacts", "ok", ", ".join(f"{a.path.name} ({a.size:,} bytes)" for a in written))
        routes = spec.routes
        if status == "failed":
            # only the routes that ask for failed runs (a notification: the metadata file lists the
            # validations); the report's usual receivers get nothing
            routes = [r for r in spec.routes if "failed" in r.statuses]
            log.event("delivery", "warn", "not delivered to the usual routes: a blocking validation failed")
        progress("delivery", artifacts.rows)
        weekday = utcnow().astimezone(zoneinfo.ZoneInfo(spec.schedule.timezone)).weekday()
        self.deliverer.deliver_routes(run_id, routes, status=status, weekday=weekday, log=log)
        return status, artifacts.rows

    def _transform(
        self, spec: ReportSpec, rows: Any, params: dict[str, Any], run_date: dt.date, log: RunLog
    ) -> Any:
        from sync_server.reports.sandbox import run_transform
        from sync_server.reports.sources import Rows

        assert spec.transform is not None
        tables = {s: self.mappings.table(s) for s in spec.transform.mappings} if self.mappings else {}
        log.event(
            "transform",
            "start",
            f"sandboxed Python, limits {spec.transform.cpu_s} s CPU, {spec.transform.memory_mb} MB",
        )
        result = run_transform(
            spec.transform, rows.columns, rows.rows, _shown(params), mappings=tables, run_date=run_date
        )

        def close() -> None:
            result.close()
            rows.close()

        return Rows(list(result.columns), result.rows, close)

    def _record_validations(self, run_id: int, outcomes: list[Any], log: RunLog) -> None:
        if not outcomes:
            return
        with self.engine.begin() as conn:
            for o in outcomes:
                conn.execute(
                    insert(report_validation_results).values(
                        run_id=run_id,
                        name=o.name,
                        kind=o.kind,
                        severity=o.severity,
                        passed=o.passed,
                        detail=o.detail,
                    )
                )
        for o in outcomes:
            level = "ok" if o.passed else ("error" if o.severity == "blocking" else "warn")
            log.event("validations", level, f"{o.name}: {o.detail}")

    def _finish(self, run_id: int, status: str, rows: int | None, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(report_runs)
                .where(report_runs.c.id == run_id)
                .values(
                    status=status, ended_at=utcnow(), row_count=rows, error=error[:8000] if error else None
                )
            )

    def _chain(self, definition_id: str, run_id: int) -> None:
        """Run the active definitions chained after ``definition_id``, with this run's CSV as input."""
        csv = next((a for a in self.artifacts(run_id) if a["format"] == "csv"), None)
        for follower in self.definitions.list():
            if follower.active and definition_id in follower.spec.triggers.after:
                self.run(
                    follower.id,
                    trigger="chain",
                    run_key=f"{follower.id}@after-{run_id}",
                    input_file=Path(csv["path"]) if csv else None,
                    parent_run_id=run_id,
                )

    def redeliver(self, run_id: int, *, destination_id: str | None, actor: str) -> None:
        """Deliver a finished run's artifacts again (all routes, or one destination)."""
        row = run_store.run(self.engine, run_id)
        if row is None:
            raise KeyError(f"no run {run_id}")
        definition = self.definitions.get(row["definition_id"], row["definition_version"])
        log = RunLog(self.engine, run_id)
        log.event("delivery", "start", f"delivery again, asked by {actor}")
        routes = [r for r in definition.spec.routes if destination_id in (None, r.destination)]
        weekday = utcnow().astimezone(zoneinfo.ZoneInfo(definition.spec.schedule.timezone)).weekday()
        self.deliverer.deliver_routes(
            run_id, routes, status=row["status"], weekday=weekday, log=log, force=True
        )

    def definition_of_run(self, run_id: int) -> Definition | None:
        row = run_store.run(self.engine, run_id)
        return None if row is None else self.definitions.get(row["definition_id"], row["definition_version"])


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _shown(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as plain JSON values (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in params.items()}

"""Report connectors: the databases report SQL runs on, each with its own pooled engine.

A connector is a row of ``report_connectors`` (title, dialect, options) and its URL, kept encrypted in
``report_secrets`` (``connector_store``). The built-in ``server`` connector is the server's own
database; on PostgreSQL it reads as the ``openreg_report_reader`` role (:func:`ensure_report_reader_role`).

Every query is read-only, has a statement timeout where the database has one (``connector_dialects``),
streams through a server-side cursor in ``fetch_rows`` batches, and stops at ``max_rows`` /
``max_bytes``. Errors come out as :class:`ConnectorError` subclasses whose messages never hold a password.

Threads: one ``Connectors`` serves the process (request handlers, scheduler threads); its pool cache is
locked and each engine's pool gives every query its own connection. A ``query`` block and its rows
belong to the thread that opened it: iterate the rows there, before leaving the block.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from sync_server.reports import connector_dialects as dialects
from sync_server.reports.connector_dialects import (
    Run,
    check_server_sql,
    ensure_report_reader_role,
)
from sync_server.reports.connector_store import (
    ByteLimitExceeded,
    ConnectorError,
    ConnectorInUse,
    ConnectorOptions,
    ConnectorStore,
    ConnectorUnavailable,
    InvalidConnector,
    QueryError,
    QueryTimeout,
    RowLimitExceeded,
    UnknownConnector,
    describe_url,
    redact,
    scrub,
)
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.spec import SERVER_CONNECTOR

__all__ = [
    "ByteLimitExceeded",
    "ConnectorError",
    "ConnectorInUse",
    "ConnectorOptions",
    "ConnectorUnavailable",
    "Connectors",
    "InvalidConnector",
    "QueryError",
    "QueryResult",
    "QueryTimeout",
    "RowLimitExceeded",
    "UnknownConnector",
    "ensure_report_reader_role",
]


@dataclass(frozen=True)
class QueryResult:
    """Column names and a one-pass iterator of row tuples (it raises the limit errors as it goes)."""

    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


@dataclass(frozen=True)
class _Pool:
    connector_id: str
    updated_at: dt.datetime | None  # the row's, so an edited connector gets a new pool
    engine: Engine
    url: URL
    options: ConnectorOptions

    @property
    def server(self) -> bool:
        return self.connector_id == SERVER_CONNECTOR


class Connectors:
    """The connector store and one pooled engine per connector (threads: see the module docstring).
    ``server_url`` is the server's database for the built-in connector (default: ``engine``'s URL)."""

    def __init__(
        self,
        engine: Engine,
        secrets: ReportSecrets,
        *,
        server_url: str | None = None,
        server_options: ConnectorOptions | None = None,
    ) -> None:
        url = make_url(server_url) if server_url else engine.url
        if url.get_backend_name() == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        self.server_url = url
        self.server_options = server_options or ConnectorOptions()
        self.store = ConnectorStore(engine, secrets, server_url=url)
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()

    # -- the store -------------------------------------------------------------------------------

    def list(self) -> list[dict[str, Any]]:
        """Every connector, the built-in ``server`` first; URLs redacted (never a password)."""
        server = {
            "id": SERVER_CONNECTOR,
            "title": "This server's database",
            "dialect": self.server_url.get_backend_name(),
            "driver": describe_url(self.server_url),
            "url": redact(self.server_url),
            "options": self.server_options.model_dump(),
            "updated_at": None,
            "updated_by": None,
            "builtin": True,
        }
        return [server, *self.store.entries()]

    def save(
        self,
        connector_id: str,
        *,
        title: str | None,
        url: str | None,
        options: ConnectorOptions | Mapping[str, Any] | None,
        actor: str,
    ) -> None:
        """Create or update a connector, audited (``reports.connector.save``) in the same transaction.
        On update a None ``title``, ``url`` or ``options`` keeps the stored one. The next query opens
        a new pool."""
        self.store.save(connector_id, title=title, url=url, options=options, actor=actor)

    def delete(self, connector_id: str, *, actor: str) -> None:
        """Delete a connector and its URL (audited) and close its pool."""
        self.store.delete(connector_id, actor=actor)
        self._drop(connector_id)

    def options(self, connector_id: str) -> ConnectorOptions:
        """The limits the connector's next query runs with."""
        if connector_id == SERVER_CONNECTOR:
            return self.server_options
        return self.store.version(connector_id)[1]

    # -- pools -----------------------------------------------------------------------------------

    def _pool(self, connector_id: str) -> _Pool:
        if connector_id == SERVER_CONNECTOR:
            updated_at, options = None, self.server_options
        else:
            try:
                updated_at, options = self.store.version(connector_id)
            except UnknownConnector:
                self._drop(connector_id)
                raise
        with self._lock:
            current = self._pools.get(connector_id)
            if current is not None and current.updated_at == updated_at:
                return current
            url = self.server_url if connector_id == SERVER_CONNECTOR else self.store.url(connector_id)
            try:
                engine = dialects.make_engine(url, options, server=connector_id == SERVER_CONNECTOR)
            except (ImportError, SQLAlchemyError) as exc:  # e.g. pyodbc or pymssql not installed
                detail = scrub(str(exc), url)
                raise ConnectorUnavailable(
                    f"connector {connector_id!r}: cannot open {describe_url(url)}: {detail}"
                ) from None
            pool = self._pools[connector_id] = _Pool(connector_id, updated_at, engine, url, options)
        if current is not None:
            current.engine.dispose()  # connections still in use finish their query, then close
        return pool

    def _drop(self, connector_id: str) -> None:
        with self._lock:
            pool = self._pools.pop(connector_id, None)
        if pool is not None:
            pool.engine.dispose()

    def dispose(self) -> None:
        """Close every pool (server shutdown, tests)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.engine.dispose()

    # -- queries ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def query(
        self, connector_id: str, sql: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[QueryResult]:
        """Run ``sql`` (one statement, ``:name`` parameters) read-only and stream its rows. Iterate
        ``rows`` inside the block; leaving it ends the transaction and frees the connection."""
        with self._query(self._pool(connector_id), sql, params) as (result, _run):
            yield result

    def scalar(self, connector_id: str, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, None without rows (watermarks, counts)."""
        with self.query(connector_id, sql, params) as result:
            first = next(result.rows, None)
            next(result.rows, None)  # reach the end of a one-row result, so its connection is kept
        return first[0] if first else None

    def test(self, connector_id: str) -> str:
        """Connect and run ``SELECT 1``: one line saying what answered, or a ``ConnectorError``."""
        pool = self._pool(connector_id)
        probe = "SELECT 1 FROM DUAL" if pool.url.get_backend_name() == "oracle" else "SELECT 1"
        with self._query(pool, probe, None) as (result, run):
            list(result.rows)
        version = ".".join(str(p) for p in pool.engine.dialect.server_version_info or ()) or "?"
        line = f"connected: {describe_url(pool.url)}, server {version}, read-only"
        if pool.server and pool.url.get_backend_name() == "postgresql":
            line += (
                f", as {dialects.READER_ROLE}"
                if run.reader_role
                else f", without the {dialects.READER_ROLE} role"
            )
        return line

    @contextlib.contextmanager
    def _query(
        self, pool: _Pool, sql: str, params: Mapping[str, Any] | None
    ) -> Iterator[tuple[QueryResult, Run]]:
        if pool.server:
            check_server_sql(sql)
        run = Run()
        try:
            conn = pool.engine.connect()
        except SQLAlchemyError as exc:
            raise self._error(exc, pool, run, ConnectorUnavailable) from None
        result: CursorResult[Any] | None = None
        try:
            try:
                dialects.prepare(conn, pool.url, pool.options, run, server=pool.server)
                # a server-side cursor where the driver has one (SQLite's cursor steps lazily anyway)
                streaming = conn.execution_options(stream_results=conn.dialect.supports_server_side_cursors)
                result = streaming.execute(text(sql.strip().rstrip(";")), dict(params or {}))
            except SQLAlchemyError as exc:
                raise self._error(exc, pool, run) from None
            yield QueryResult(list(result.keys()), self._rows(result, pool, run)), run
        finally:
            self._release(conn, result, pool, run)

    def _rows(self, result: CursorResult[Any], pool: _Pool, run: Run) -> Iterator[tuple[Any, ...]]:
        limits, count, size = pool.options, 0, 0
        try:
            for batch in result.partitions(limits.fetch_rows):
                for row in batch:
                    values = tuple(row)
                    count += 1
                    if count > limits.max_rows:
                        raise RowLimitExceeded(
                            f"connector {pool.connector_id!r}: the result has more than {limits.max_rows} rows"
                        )
                    # about the values' text (a little high for dates and numbers): one C call per row
                    size += len(repr(values))
                    if size > limits.max_bytes:
                        raise ByteLimitExceeded(
                            f"connector {pool.connector_id!r}: the result has more than "
                            f"{limits.max_bytes} bytes of values"
                        )
                    yield values
                run.deadline = time.monotonic() + limits.timeout_s
            run.exhausted = True
        except SQLAlchemyError as exc:
            raise self._error(exc, pool, run) from None

    def _release(self, conn: Connection, result: CursorResult[Any] | None, pool: _Pool, run: Run) -> None:
        try:
            dialects.finish(conn, pool.url)
            unread = result is not None and not run.exhausted
            if unread and pool.url.get_backend_name() in ("mysql", "mariadb"):
                dialects.abandon_unbuffered(result.cursor)
                conn.invalidate()
            else:
                if result is not None:
                    result.close()
                conn.rollback()
        except Exception:  # a broken connection; the query's own error, if any, is the one to report
            with contextlib.suppress(Exception):
                conn.invalidate()
        finally:
            conn.close()

    def _error(
        self, exc: SQLAlchemyError, pool: _Pool, run: Run, kind: type[ConnectorError] = QueryError
    ) -> ConnectorError:
        orig = getattr(exc, "orig", None)
        detail = str(orig if orig is not None else exc).split("\n[SQL:")[0].split("\n(Background")[0]
        detail = scrub(detail.strip(), pool.url)[:2000]
        if kind is QueryError and dialects.is_timeout(orig, pool.url, run, detail):
            return QueryTimeout(
                f"connector {pool.connector_id!r}: the query ran past its {pool.options.timeout_s} s "
                f"timeout ({detail})"
            )
        return kind(f"connector {pool.connector_id!r}: {detail}")

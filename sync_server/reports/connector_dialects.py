"""What each database needs for a read-only, time-limited report query, and the PostgreSQL report
reader role that the built-in ``server`` connector reads as.

Per dialect (see ``prepare``): PostgreSQL ``SET TRANSACTION READ ONLY`` and ``statement_timeout``
(per statement, so per fetch of a server-side cursor); MariaDB ``max_statement_time`` / MySQL
``max_execution_time`` and ``START TRANSACTION READ ONLY`` (the timeout covers the whole streamed
statement); SQLite ``query_only`` and a progress handler with a deadline renewed at each fetched batch;
Oracle ``SET TRANSACTION READ ONLY`` and the driver's per-round-trip ``call_timeout``; SQL Server
(pyodbc) the ODBC query timeout, (pymssql) the connection's query timeout, and no read-only mode.

Functions here act on the connection they are given, in the caller's thread.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL

from sync_server.reports.connector_store import ConnectorOptions, InvalidConnector, QueryError

_log = logging.getLogger(__name__)

READER_ROLE = "openreg_report_reader"
# What a report on the server's own database may read. Never users' credentials: auth_tokens,
# console_sessions, console_accounts, login_attempts, report_secrets, the idstore_* tables and
# masterdata_changes (it keeps every version of every user record) stay out.
REPORT_READABLE_TABLES = (
    "packets",
    "processing_jobs",
    "processing_stage_records",
    "machines",
    "masterdata_current",
    "report_runs",
)
# masterdata_current holds users (password hashes, TOTP secrets) beside centers and devices: the reader
# sees every entity but this one (a row-level security policy on PostgreSQL).
HIDDEN_ENTITY = "users"

# Timeout errors by driver: MariaDB max_statement_time, MySQL max_execution_time, PostgreSQL
# query_canceled (57014), oracledb call timeout, ODBC HYT00, pymssql's "timed out".
_MYSQL_TIMEOUTS = (1969, 3024)
_TIMEOUT_TEXT = {"oracle": ("DPY-4024", "DPI-1067", "ORA-03156"), "mssql": ("HYT00", "timed out")}


@dataclass
class Run:
    """One query's state, shared by its setup, its row iterator and its clean-up."""

    deadline: float = float("inf")
    timed_out: bool = False
    exhausted: bool = False
    reader_role: bool = False


def make_engine(url: URL, options: ConnectorOptions, *, server: bool) -> Engine:
    """A pooled engine for one connector (``server``: the server's own database)."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise InvalidConnector("an in-memory SQLite database cannot be read from another connection")
        connect_args["check_same_thread"] = False  # a pooled connection serves one thread at a time
        if not server and not (url.database or "").startswith("file:"):
            # opened read-only: a wrong path fails instead of creating an empty database there
            url = url.set(database=f"file:{url.database}", query={**url.query, "mode": "ro", "uri": "true"})
    elif driver == "pymssql":
        connect_args["timeout"] = options.timeout_s
    engine = create_engine(
        url,
        pool_size=options.pool_size,
        max_overflow=0,
        pool_timeout=30,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args=connect_args,
    )
    if backend == "sqlite":
        readable = frozenset(REPORT_READABLE_TABLES) - {"masterdata_current"} if server else None
        event.listen(engine, "connect", lambda dbapi_conn, _record: _sqlite_read_only(dbapi_conn, readable))
    return engine


def prepare(conn: Connection, url: URL, options: ConnectorOptions, run: Run, *, server: bool) -> None:
    """Make ``conn``'s new transaction read-only and time-limited (see the module docstring)."""
    backend, timeout = url.get_backend_name(), options.timeout_s
    raw = conn.connection.driver_connection
    if backend == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(timeout * 1000)})
        if server:
            run.reader_role = _enter_reader_role(conn)
    elif backend in ("mysql", "mariadb"):
        if conn.dialect.is_mariadb:
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {int(timeout)}")
        else:
            conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout) * 1000}")
        conn.exec_driver_sql("START TRANSACTION READ ONLY")
    elif backend == "sqlite":  # query_only is set when the connection opens
        run.deadline = time.monotonic() + timeout

        def past_deadline() -> int:
            run.timed_out = time.monotonic() > run.deadline
            return int(run.timed_out)

        raw.set_progress_handler(past_deadline, 1000)
    elif backend == "oracle":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        raw.call_timeout = int(timeout) * 1000
    elif backend == "mssql" and url.get_driver_name() == "pyodbc":
        raw.timeout = int(timeout)


def finish(conn: Connection, url: URL) -> None:
    """Undo ``prepare``'s connection-level state that outlives the transaction."""
    if url.get_backend_name() == "sqlite":
        conn.connection.driver_connection.set_progress_handler(None, 0)


def abandon_unbuffered(cursor: Any) -> None:
    """Before dropping a MySQL connection in the middle of a streamed result: pymysql would read every
    remaining row to close it (the protocol cannot stop a result), so mark the result finished instead."""
    pending = getattr(cursor, "_result", None)
    if getattr(pending, "unbuffered_active", False):
        pending.unbuffered_active = False


def is_timeout(orig: Any, url: URL, run: Run, detail: str) -> bool:
    """Whether a driver error (``orig``, its text ``detail``) is the statement timeout."""
    code = orig.args[0] if orig is not None and getattr(orig, "args", None) else None
    return (
        run.timed_out
        or getattr(orig, "sqlstate", None) == "57014"
        or (url.get_backend_name() in ("mysql", "mariadb") and code in _MYSQL_TIMEOUTS)
        or any(marker in detail for marker in _TIMEOUT_TEXT.get(url.get_backend_name(), ()))
    )


_role_warned = False


def _enter_reader_role(conn: Connection) -> bool:
    global _role_warned
    switched = conn.execute(
        text(
            "SELECT set_config('role', rolname::text, true) FROM pg_roles "
            "WHERE rolname = :role AND pg_has_role(current_user, oid, 'MEMBER')"
        ),
        {"role": READER_ROLE},
    ).first()
    if switched is None and not _role_warned:
        _role_warned = True
        _log.warning("no %s role: the server connector reads in read-only transactions only", READER_ROLE)
    return switched is not None


def _sqlite_read_only(dbapi_conn: sqlite3.Connection, readable: frozenset[str] | None) -> None:
    """``query_only``, then an authorizer: no ATTACH (another file), no PRAGMA that sets a value (such
    as ``query_only = OFF``), and on the server's own database only ``readable`` tables (SQLite has no
    row rules, so ``masterdata_current`` and its users stay out)."""
    dbapi_conn.execute("PRAGMA query_only = ON")

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA and arg2 is not None:
            return sqlite3.SQLITE_DENY
        table = (arg1 or "").lower()
        if readable is not None and action == sqlite3.SQLITE_READ and table not in readable:
            return sqlite3.SQLITE_OK if table.startswith("sqlite_") else sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    dbapi_conn.set_authorizer(authorize)


# SET ROLE is no wall against SQL sent by the session's own user: RESET ROLE or set_config('role', ...)
# leaves it. Server-side cursors take exactly one SELECT, so RESET ROLE cannot ride along; what is left
# is set_config and the functions that run SQL text (where set_config can hide in a concatenated
# string), refused here by name. A LOGIN role of its own would make this a wall (not done: needs its
# own credentials).
_ROLE_ESCAPES = re.compile(r"set_config|_to_xml|ts_stat|ts_rewrite|dblink|u&\"", re.I)


def check_server_sql(sql: str) -> None:
    """Refuse SQL for the built-in connector that could switch away from the report reader role."""
    if _ROLE_ESCAPES.search(sql):
        raise QueryError(
            "the server connector does not run set_config, *_to_xml, ts_stat, ts_rewrite or dblink "
            '(or U&"..." identifiers): they could leave the report reader role'
        )


def ensure_report_reader_role(conn: Connection) -> bool:
    """On PostgreSQL: create the NOLOGIN role ``openreg_report_reader`` if missing, let the current
    user ``SET ROLE`` to it, grant it SELECT on ``REPORT_READABLE_TABLES`` that exist, and hide the
    ``users`` rows of ``masterdata_current`` from it (row-level security; other roles see every row).
    Idempotent; every step runs in a savepoint of ``conn``'s transaction, so a missing privilege logs
    a warning and leaves the caller's transaction usable. True when the role can be used."""
    if conn.dialect.name != "postgresql":
        return False
    role = READER_ROLE
    if not _step(
        conn,
        "create it (the server connector falls back to read-only transactions)",
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} NOLOGIN; END IF; "
        f"IF NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN GRANT {role} TO CURRENT_USER; END IF; END $$",
    ):
        return False
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    _step(conn, None, f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')  # PUBLIC usually has it already
    present = {
        name
        for (name,) in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename = ANY(:t)"),
            {"s": schema, "t": list(REPORT_READABLE_TABLES)},
        )
    }
    plain = sorted(present - {"masterdata_current"})
    if plain:
        _step(conn, "grant SELECT to the report reader", f"GRANT SELECT ON {', '.join(plain)} TO {role}")
    if "masterdata_current" in present:
        _step(
            conn,
            "hide users from the report reader (masterdata_current stays unreadable to reports)",
            "ALTER TABLE masterdata_current ENABLE ROW LEVEL SECURITY",
            "DROP POLICY IF EXISTS openreg_report_reader_rows ON masterdata_current",
            "CREATE POLICY openreg_report_reader_rows ON masterdata_current "
            f"USING (current_user <> '{role}' OR entity <> '{HIDDEN_ENTITY}')",
            f"GRANT SELECT ON masterdata_current TO {role}",
        )
    return True


def _step(conn: Connection, what: str | None, *statements: str) -> bool:
    try:
        with conn.begin_nested():
            for sql in statements:
                conn.exec_driver_sql(sql)
        return True
    except Exception as exc:
        if what:
            _log.warning("report reader role: could not %s: %s", what, getattr(exc, "orig", None) or exc)
        return False

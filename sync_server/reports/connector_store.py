"""Connectors at rest: their errors, options and URL rules, and the store over ``report_connectors``
(the URL itself encrypted in ``report_secrets`` as ``connector:<id>``).

Nothing here holds state beyond the engine: any thread may use a ``ConnectorStore``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import URL, make_url

from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.spec import SERVER_CONNECTOR
from sync_server.reports.tables import report_connectors, report_definitions
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

# backend -> the drivers we accept, the first being the one used when the URL names none
DRIVERS: dict[str, tuple[str, ...]] = {
    "postgresql": ("psycopg",),  # psycopg 3: server-side cursors take one statement
    "mysql": ("pymysql",),
    "mariadb": ("pymysql",),
    "mssql": ("pyodbc", "pymssql"),
    "oracle": ("oracledb",),
    "sqlite": ("pysqlite",),
}
MAX_URL = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # PostgreSQL cannot store NUL; none belongs in a URL or title
GIB = 1024**3


class ConnectorError(Exception):
    """A connector could not be stored, reached or queried. The message never holds a password."""


class UnknownConnector(ConnectorError):
    """No connector has this id."""


class InvalidConnector(ConnectorError):
    """A bad id, title, URL or dialect, or a change to the built-in ``server`` connector."""


class ConnectorInUse(InvalidConnector):
    """A report definition still uses the connector."""


class ConnectorUnavailable(ConnectorError):
    """The database refused or did not answer the connection."""


class QueryError(ConnectorError):
    """The database refused or failed the query (a write in a read-only transaction, a syntax error)."""


class QueryTimeout(QueryError):
    """The query ran past the connector's ``timeout_s``."""


class RowLimitExceeded(QueryError):
    """The result has more rows than the connector's ``max_rows``."""


class ByteLimitExceeded(QueryError):
    """The result's values add up to more than the connector's ``max_bytes``."""


class ConnectorOptions(BaseModel):
    """Per-connector limits. ``max_bytes`` is approximate: the sum of the lengths of the values' text
    forms (bytes for binary values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool_size: int = Field(2, ge=1, le=32)
    timeout_s: int = Field(60, ge=1, le=24 * 3600)  # per statement (per fetch on PostgreSQL and SQLite)
    max_rows: int = Field(5_000_000, ge=1, le=1_000_000_000)
    max_bytes: int = Field(2 * GIB, ge=1, le=256 * GIB)
    fetch_rows: int = Field(5_000, ge=1, le=100_000)


def check_url(url: str) -> URL:
    """The parsed URL with its driver made explicit, or ``InvalidConnector`` naming what is wrong
    (never quoting the URL, which may hold a password)."""
    if not url or len(url) > MAX_URL or _CONTROL.search(url):
        raise InvalidConnector(
            f"the database URL must be 1 to {MAX_URL} characters, without control characters"
        )
    try:
        parsed = make_url(url)
    except Exception:
        raise InvalidConnector(
            "not a database URL (expected dialect+driver://user:password@host/database)"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in DRIVERS:
        raise InvalidConnector(
            f"unsupported database {backend!r}: use one of {', '.join(sorted(DRIVERS))} "
            "(ODBC data sources through mssql+pyodbc)"
        )
    if driver and driver not in DRIVERS[backend]:
        raise InvalidConnector(
            f"unsupported driver {driver!r} for {backend}: use {' or '.join(DRIVERS[backend])}"
        )
    if backend == "sqlite" and (not parsed.database or parsed.database == ":memory:"):
        raise InvalidConnector("a SQLite connector needs a database file")
    return parsed.set(drivername=f"{backend}+{driver or DRIVERS[backend][0]}")


def describe_url(url: URL) -> str:
    """What the URL connects with, e.g. ``postgresql (psycopg)`` or ``mssql (pyodbc, ODBC connect string)``."""
    backend, _, driver = url.drivername.partition("+")
    detail = driver or DRIVERS.get(backend, ("?",))[0]
    if driver == "pyodbc":
        if "odbc_connect" in url.query:
            detail += ", ODBC connect string"
        elif url.host and not url.port and "driver" not in url.query:
            detail += ", ODBC data source name"
    if driver == "oracledb":
        detail += ", thin mode"
    return f"{backend} ({detail})"


_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.I)
_ODBC_PASSWORD = re.compile(r"(?i)\b(pwd|password)\s*=\s*(\{[^}]*\}|[^;]*)")


def _secret_values(url: URL) -> list[str]:
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        for item in value if isinstance(value, tuple) else (value,):
            if _SECRET_KEY.search(key):
                found.append(item)
            elif key.lower() == "odbc_connect":
                found += [m.group(2).strip("{}") for m in _ODBC_PASSWORD.finditer(item)]
    return [str(v) for v in found if v]


def redact(url: URL | str) -> str:
    """The URL for lists, logs and errors: no password, no password-like query value, no ``PWD=`` in
    an ODBC connect string."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except Exception:
        return "(unreadable URL)"

    def hide(key: str, value: str) -> str:
        if _SECRET_KEY.search(key):
            return "***"
        return _ODBC_PASSWORD.sub(r"\1=***", value) if key.lower() == "odbc_connect" else value

    query = {
        k: tuple(hide(k, i) for i in v) if isinstance(v, tuple) else hide(k, v)
        for k, v in parsed.query.items()
    }
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def scrub(message: str, url: URL) -> str:
    """``message`` with every secret of ``url`` (raw or URL-quoted) and the URL itself replaced."""
    message = message.replace(url.render_as_string(hide_password=False), redact(url))
    for secret in _secret_values(url):
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            message = message.replace(form, "***")
    return message


_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _secret(connector_id: str) -> str:
    return f"connector:{connector_id}"


def _options(value: ConnectorOptions | Mapping[str, Any] | None) -> ConnectorOptions | None:
    if value is None or isinstance(value, ConnectorOptions):
        return value
    try:
        return ConnectorOptions(**value)
    except ValueError as exc:
        raise InvalidConnector(f"invalid options: {exc}") from None


class ConnectorStore:
    """``report_connectors`` rows and their encrypted URLs; every change audited in its transaction.
    ``server_url`` is the server's own database (a SQLite connector may not open that file)."""

    def __init__(self, engine: Engine, secrets: ReportSecrets, *, server_url: URL) -> None:
        self.engine = engine
        self.secrets = secrets
        self.server_url = server_url

    def entries(self) -> list[dict[str, Any]]:
        """Every stored connector (not the built-in one), its URL redacted."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(report_connectors).order_by(report_connectors.c.id)).all()
        found = []
        for row in rows:
            stored = self.secrets.get(_secret(row.id))
            url = make_url(stored) if stored else None
            found.append(
                {
                    "id": row.id,
                    "title": row.title,
                    "dialect": row.dialect,
                    "driver": describe_url(url) if url else "(no URL stored)",
                    "url": redact(url) if url else None,
                    "options": ConnectorOptions.model_validate(row.options or {}).model_dump(),
                    "updated_at": row.updated_at,
                    "updated_by": row.updated_by,
                    "builtin": False,
                }
            )
        return found

    def version(self, connector_id: str) -> tuple[dt.datetime, ConnectorOptions]:
        """The row's ``updated_at`` (it names the pool) and options; ``UnknownConnector`` if none."""
        table = report_connectors
        with self.engine.connect() as conn:
            row = conn.execute(
                select(table.c.updated_at, table.c.options).where(table.c.id == connector_id)
            ).first()
        if row is None:
            raise UnknownConnector(f"no connector {connector_id!r}")
        return row.updated_at, ConnectorOptions.model_validate(row.options or {})

    def url(self, connector_id: str) -> URL:
        """The decrypted URL: for the pool only, never to be shown."""
        stored = self.secrets.get(_secret(connector_id))
        if stored is None:
            raise UnknownConnector(f"connector {connector_id!r} has no URL stored")
        return make_url(stored)

    def save(
        self,
        connector_id: str,
        *,
        title: str | None,
        url: str | None,
        options: ConnectorOptions | Mapping[str, Any] | None,
        actor: str,
    ) -> None:
        """Create or update a connector. On update, a None ``title``, ``url`` or ``options`` keeps the
        stored one."""
        _check_id(connector_id)
        if title is not None and (not 1 <= len(title.strip()) <= 255 or _CONTROL.search(title)):
            raise InvalidConnector("the title must be 1 to 255 characters, without control characters")
        parsed = check_url(url) if url is not None else None
        if parsed is not None:
            self._refuse_server_file(parsed)
        opts = _options(options)
        table = report_connectors
        with self.engine.begin() as conn:
            row = conn.execute(select(table).where(table.c.id == connector_id)).first()
            if row is None and (parsed is None or title is None):
                raise InvalidConnector(f"a new connector ({connector_id!r}) needs a title and a URL")
            if opts is None:
                opts = ConnectorOptions.model_validate(row.options or {}) if row else ConnectorOptions()
            values = {
                "title": title.strip() if title is not None else row.title,
                "dialect": parsed.get_backend_name() if parsed is not None else row.dialect,
                "options": opts.model_dump(),
                "updated_at": utcnow(),
                "updated_by": actor,
            }
            if row is None:
                conn.execute(insert(table).values(id=connector_id, **values))
            else:
                conn.execute(update(table).where(table.c.id == connector_id).values(**values))
            if parsed is not None:
                rendered = parsed.render_as_string(hide_password=False)
                self.secrets.put(_secret(connector_id), rendered, conn=conn)
            details = {"dialect": values["dialect"], "options": values["options"]}
            details["url"] = redact(parsed) if parsed is not None else "(unchanged)"
            append_audit(
                conn, actor=actor, action="reports.connector.save", target=connector_id, details=details
            )

    def delete(self, connector_id: str, *, actor: str) -> None:
        """Delete a connector and its URL; ``InvalidConnector`` while a report definition uses it."""
        _check_id(connector_id)
        table = report_connectors
        with self.engine.begin() as conn:
            users = sorted(
                row.id
                for row in conn.execute(select(report_definitions.c.id, report_definitions.c.spec))
                if connector_id in _connectors_of(row.spec or {})
            )
            if users:
                raise ConnectorInUse(
                    f"connector {connector_id!r} is used by report(s) {', '.join(users)}; change them first"
                )
            if not conn.execute(delete(table).where(table.c.id == connector_id)).rowcount:
                raise UnknownConnector(f"no connector {connector_id!r}")
            self.secrets.delete(_secret(connector_id), conn=conn)
            append_audit(conn, actor=actor, action="reports.connector.delete", target=connector_id)

    def _refuse_server_file(self, url: URL) -> None:
        # The server's SQLite file through a plain connector would skip the server connector's rules.
        server = self.server_url
        if url.get_backend_name() == server.get_backend_name() == "sqlite" and server.database:
            same = False
            with suppress(OSError):
                same = Path(url.database or "").resolve() == Path(server.database).resolve()
            if same:
                raise InvalidConnector("that is the server's own database: use the 'server' connector")


def _connectors_of(spec: dict) -> set[str]:
    """The connectors a stored spec names: its SQL source, SQL checks and watermark trigger."""
    named = [spec.get("source", {}).get("connector")]
    named += [v.get("connector") for v in spec.get("validations") or []]
    named.append(((spec.get("triggers") or {}).get("watermark") or {}).get("connector"))
    return {c for c in named if c}


def _check_id(connector_id: str) -> None:
    if connector_id == SERVER_CONNECTOR:
        raise InvalidConnector("the built-in 'server' connector cannot be changed or deleted")
    if not _ID.match(connector_id):
        raise InvalidConnector("a connector id is 1 to 64 letters, digits, '.', '_' or '-'")

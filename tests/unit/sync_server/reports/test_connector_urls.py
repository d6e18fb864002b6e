"""Connector URLs without a server: which dialects and drivers are accepted (SQL Server through pymssql
or ODBC, Oracle thin mode, ...), what they are called, and that no password survives redaction or an
error message. SQL Server, Oracle and ODBC are checked here only, never against a real server."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from pydantic import ValidationError

from sync_server.reports.connector_dialects import check_server_sql
from sync_server.reports.connector_store import (
    ConnectorOptions,
    InvalidConnector,
    QueryError,
    check_url,
    describe_url,
    redact,
    scrub,
)

ODBC = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db.example;DATABASE=reg;UID=rep;PWD={p@ss;word}"


@pytest.mark.parametrize(
    ("url", "dialect", "described", "redacted"),
    [
        (
            "mssql+pymssql://rep:pw-1@db.example:1433/reg",
            "mssql",
            "mssql (pymssql)",
            "mssql+pymssql://rep:***@db.example:1433/reg",
        ),
        (
            "mssql+pyodbc://rep:pw-1@db.example:1433/reg?driver=ODBC+Driver+18+for+SQL+Server",
            "mssql",
            "mssql (pyodbc)",
            "mssql+pyodbc://rep:***@db.example:1433/reg?driver=ODBC+Driver+18+for+SQL+Server",
        ),
        ("mssql+pyodbc://rep:pw-1@REG_DSN", "mssql", "mssql (pyodbc, ODBC data source name)", None),
        (
            f"mssql+pyodbc:///?odbc_connect={quote_plus(ODBC)}",
            "mssql",
            "mssql (pyodbc, ODBC connect string)",
            None,
        ),
        (
            "oracle+oracledb://rep:pw-1@db.example:1521/?service_name=REGPDB",
            "oracle",
            "oracle (oracledb, thin mode)",
            "oracle+oracledb://rep:***@db.example:1521/?service_name=REGPDB",
        ),
        ("oracle://rep:pw-1@db.example/REG", "oracle", "oracle (oracledb, thin mode)", None),
        (
            "mysql://rep:pw-1@db.example/reg",
            "mysql",
            "mysql (pymysql)",
            "mysql+pymysql://rep:***@db.example/reg",
        ),
        ("mariadb+pymysql://rep:pw-1@db.example/reg", "mariadb", "mariadb (pymysql)", None),
        ("postgresql://rep:pw-1@db.example/reg", "postgresql", "postgresql (psycopg)", None),
        (
            "sqlite:////var/lib/reg/data.db",
            "sqlite",
            "sqlite (pysqlite)",
            "sqlite+pysqlite:////var/lib/reg/data.db",
        ),
    ],
)
def test_supported_urls(url, dialect, described, redacted):
    parsed = check_url(url)
    assert parsed.get_backend_name() == dialect
    assert "+" in parsed.drivername  # the driver is always explicit once stored
    assert describe_url(parsed) == described
    shown = redact(parsed)
    assert "pw-1" not in shown and "p@ss" not in shown and "word" not in shown
    if redacted:
        assert shown == redacted


def test_odbc_connect_string_password_is_hidden():
    shown = redact(check_url(f"mssql+pyodbc:///?odbc_connect={quote_plus(ODBC)}"))
    assert shown.endswith("UID%3Drep%3BPWD%3D***")
    assert redact("postgresql+psycopg://u@h/db?password=pw-1&sslmode=require").endswith(
        "password=***&sslmode=require"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mongodb://u:pw-1@h/db", "unsupported database 'mongodb'"),
        ("postgresql+asyncpg://u:pw-1@h/db", "unsupported driver 'asyncpg' for postgresql"),
        ("mysql+mysqldb://u:pw-1@h/db", "unsupported driver 'mysqldb'"),
        ("oracle+cx_oracle://u:pw-1@h/db", "unsupported driver 'cx_oracle'"),
        ("not a url with pw-1", "not a database URL"),
        ("sqlite://", "needs a database file"),
        ("sqlite:///:memory:", "needs a database file"),
        ("", "1 to 4096 characters"),
        ("postgresql://h/" + "x" * 5000, "1 to 4096 characters"),
    ],
)
def test_refused_urls_say_why_without_the_password(url, message):
    with pytest.raises(InvalidConnector, match=message) as caught:
        check_url(url)
    assert "pw-1" not in str(caught.value)


def test_scrub_removes_every_form_of_the_secrets():
    url = check_url("postgresql+psycopg://rep:p%40ss%2Fw0rd@db.example/reg?sslkey_password=k3y")
    message = f"failed for {url.render_as_string(hide_password=False)}: p@ss/w0rd p%40ss%2Fw0rd k3y"
    cleaned = scrub(message, url)
    assert "p@ss" not in cleaned and "w0rd" not in cleaned and "k3y" not in cleaned
    assert "rep:***@db.example" in cleaned


def test_options_are_bounded():
    assert ConnectorOptions().model_dump() == {
        "pool_size": 2,
        "timeout_s": 60,
        "max_rows": 5_000_000,
        "max_bytes": 2 * 1024**3,
        "fetch_rows": 5_000,
    }
    for bad in ({"pool_size": 0}, {"timeout_s": 0}, {"fetch_rows": 10**6}, {"max_rows": 0}, {"nope": 1}):
        with pytest.raises(ValidationError):
            ConnectorOptions(**bad)


def test_server_sql_that_could_leave_the_reader_role_is_refused():
    check_server_sql("SELECT status, count(*) FROM packets GROUP BY status")
    for sql in (
        "SELECT set_config('role', 'postgres', true)",
        "SELECT pg_catalog.\"set_config\"('role', 'x', true)",
        "SELECT SET_CONFIG('role', 'x', true)",
        "SELECT query_to_xml('SELECT 1', true, false, '')",
        "SELECT ts_stat('SELECT 1')",
        "SELECT U&\"\\0073et_config\"('role', 'x', true)",
    ):
        with pytest.raises(QueryError, match="reader role"):
            check_server_sql(sql)

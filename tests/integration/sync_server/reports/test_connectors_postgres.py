"""Report connectors on a real PostgreSQL: streaming through a server-side cursor, named parameters,
statement timeout, row and byte limits, read-only transactions, passwords kept out of lists and
errors, one pool per connector version; and the built-in ``server`` connector reading as the report
reader role (no users, tokens or secrets; no writes)."""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from sqlalchemy import create_engine, text

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import Base
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports import connector_dialects
from sync_server.reports.connectors import (
    ByteLimitExceeded,
    ConnectorOptions,
    Connectors,
    ConnectorUnavailable,
    QueryError,
    QueryTimeout,
    RowLimitExceeded,
    ensure_report_reader_role,
)
from sync_server.reports.secrets import ReportSecrets
from sync_server.services.audit import list_entries

PASSWORD = "s3cret-pw"  # trust authentication ignores it; it must still never show


def _connectors(engine, tmp_path, **kwargs) -> Connectors:
    return Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)), **kwargs)


@pytest.fixture
def world(postgres_url, tmp_path):
    """A server database (tables made, superuser) and connector 'pg' on it with a password in its URL."""
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    create_backend_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
        conn.exec_driver_sql("CREATE SEQUENCE s")
    connectors = _connectors(engine, tmp_path)
    url = postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    connectors.save("pg", title="Postgres", url=url, options={"timeout_s": 1}, actor="admin1")
    yield connectors, engine
    connectors.dispose()
    engine.dispose()


def test_streams_200k_rows_through_a_server_side_cursor(world):
    connectors, engine = world
    sql = "SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, :count) AS g"
    fetching = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'FETCH FORWARD %'"
    )
    with connectors.query("pg", sql, {"count": 200_000}) as result, engine.connect() as watch:
        assert result.columns == ["n", "pad"]
        count, total = 1, next(result.rows)[0]
        # The first batch is here and the query's cursor stays open on the server for the next ones.
        assert watch.execute(fetching).scalar() == 1
        for n, _pad in result.rows:
            count, total = count + 1, total + n
    assert count == 200_000 and total == 200_000 * 200_001 // 2
    with engine.connect() as watch:
        assert watch.execute(fetching).scalar() == 0


def test_named_parameters(world):
    connectors, _ = world
    with connectors.query(
        "pg", "SELECT CAST(:a AS integer) + 1 AS b, :name AS name", {"a": 41, "name": "x"}
    ) as r:
        assert (r.columns, list(r.rows)) == (["b", "name"], [(42, "x")])
    with pytest.raises(QueryError, match="bind parameter 'a'"):
        connectors.scalar("pg", "SELECT CAST(:a AS integer)")


def test_statement_timeout_fails_fast(world):
    connectors, _ = world
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s timeout"):
        connectors.scalar("pg", "SELECT pg_sleep(5)")
    assert time.monotonic() - started < 3
    assert connectors.scalar("pg", "SELECT 2") == 2  # the connection is fine afterwards


def test_row_and_byte_limits(world):
    connectors, _ = world
    connectors.save("pg", title=None, url=None, options={"max_rows": 1000, "max_bytes": 50_000}, actor="a")
    with (
        pytest.raises(RowLimitExceeded, match="more than 1000 rows"),
        connectors.query("pg", "SELECT g FROM generate_series(1, 200000) g") as result,
    ):
        list(result.rows)
    with (
        pytest.raises(ByteLimitExceeded, match="more than 50000 bytes"),
        connectors.query("pg", "SELECT repeat('y', 100) FROM generate_series(1, 900)") as result,
    ):
        list(result.rows)
    with connectors.query("pg", "SELECT g FROM generate_series(1, 1000) g") as result:
        assert len(list(result.rows)) == 1000


def test_writes_are_refused(world):
    connectors, engine = world
    for sql in (
        "INSERT INTO t VALUES (1)",
        "WITH w AS (INSERT INTO t VALUES (1) RETURNING x) SELECT x FROM w",
        "SELECT nextval('s')",
        "SELECT 1; INSERT INTO t VALUES (1)",
    ):
        with pytest.raises(QueryError):
            connectors.scalar("pg", sql)
    with pytest.raises(QueryError, match="read-only transaction"):
        connectors.scalar("pg", "SELECT nextval('s')")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0


def test_password_is_never_shown(world, postgres_cluster):
    connectors, engine = world
    listed = {c["id"]: c for c in connectors.list()}
    assert listed["pg"]["url"].startswith("postgresql+psycopg://postgres:***@127.0.0.1")
    assert PASSWORD not in repr(connectors.list())
    with engine.connect() as conn:
        assert PASSWORD not in repr(list_entries(conn))
    # libpq quotes the bad value back; the password happens to be that value
    bad = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{postgres_cluster.port}/x?sslmode={PASSWORD}"
    connectors.save("bad", title="Bad", url=bad, options=None, actor="admin1")
    with pytest.raises(ConnectorUnavailable) as caught:
        connectors.test("bad")
    assert "sslmode" in str(caught.value) and PASSWORD not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    refused = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:1/x"
    connectors.save("bad", title="Bad", url=refused, options=None, actor="admin1")
    with pytest.raises(ConnectorUnavailable) as caught:
        connectors.scalar("bad", "SELECT 1")
    assert PASSWORD not in str(caught.value)


def test_pool_is_reused_and_replaced_after_an_edit(world):
    connectors, engine = world
    first = connectors.scalar("pg", "SELECT pg_backend_pid()")
    assert connectors.scalar("pg", "SELECT pg_backend_pid()") == first
    connectors.save("pg", title="Renamed", url=None, options=None, actor="admin1")
    second = connectors.scalar("pg", "SELECT pg_backend_pid()")
    assert second != first
    with engine.connect() as conn:  # the old pool was closed
        alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": first})
        assert alive.scalar() == 0
    assert "Renamed" in {c["title"] for c in connectors.list()}


def test_threads_share_one_pool(world):
    connectors, _ = world  # pool_size 2: eight threads at once wait their turn for two connections
    with ThreadPoolExecutor(8) as pool:
        pids = list(
            pool.map(
                lambda _: connectors.scalar("pg", "SELECT pg_backend_pid() FROM pg_sleep(0.1)"), range(8)
            )
        )
    assert len(pids) == 8 and len(set(pids)) <= 2


@pytest.fixture
def app_database(postgres_cluster, monkeypatch):
    """A database owned by a non-superuser app role that made its own tables (the production shape),
    and a reader role name of its own (roles are cluster-wide)."""

    def make(*, createrole: bool) -> str:
        suffix = uuid.uuid4().hex[:10]
        monkeypatch.setattr(connector_dialects, "READER_ROLE", f"reader_{suffix}")
        with psycopg.connect(
            f"host=127.0.0.1 port={postgres_cluster.port} user=postgres dbname=postgres", autocommit=True
        ) as admin:
            admin.execute(f"CREATE ROLE app_{suffix} LOGIN {'CREATEROLE' if createrole else ''}")
            admin.execute(f"CREATE DATABASE db_{suffix} OWNER app_{suffix}")
        return f"postgresql+psycopg://app_{suffix}@127.0.0.1:{postgres_cluster.port}/db_{suffix}"

    return make


def _fill(engine) -> None:
    Base.metadata.create_all(engine)
    create_backend_tables(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO masterdata_current (entity, entity_id, center_id, data, seq) VALUES "
            """('users', 'u1', 'C1', '{"password_hash": "pbkdf2$hash"}', 1), """
            """('centers', 'C1', 'C1', '{"name": "One"}', 2)"""
        )
        conn.exec_driver_sql(
            "INSERT INTO auth_tokens (token_hash, kind, subject, roles, expires_at) "
            "VALUES ('h', 'user', 'u1', '[]', now())"
        )


def test_server_connector_reads_as_the_report_reader(app_database, tmp_path):
    engine = create_engine(app_database(createrole=True))
    _fill(engine)
    with engine.begin() as conn:
        assert ensure_report_reader_role(conn) is True
        assert ensure_report_reader_role(conn) is True  # idempotent
    connectors = _connectors(engine, tmp_path)
    try:
        role = connector_dialects.READER_ROLE
        assert connectors.test("server").endswith(f"read-only, as {role}")
        assert connectors.scalar("server", "SELECT current_user") == role
        assert connectors.scalar("server", "SELECT count(*) FROM masterdata_current") == 1  # the center
        assert (
            connectors.scalar("server", "SELECT count(*) FROM masterdata_current WHERE entity = 'users'") == 0
        )
        assert connectors.scalar("server", "SELECT count(*) FROM packets") == 0
        with engine.connect() as conn:  # the app itself still sees its users
            assert conn.execute(text("SELECT count(*) FROM masterdata_current")).scalar() == 2
        for table in (
            "auth_tokens",
            "masterdata_changes",
            "report_secrets",
            "console_accounts",
            "idstore_identities",
        ):
            with pytest.raises(QueryError, match="permission denied"):
                connectors.scalar("server", f"SELECT count(*) FROM {table}")
        for sql in (
            "SELECT 1; RESET ROLE; SELECT count(*) FROM auth_tokens",
            "SELECT set_config('role', current_setting('session_authorization'), true)",
            "SELECT query_to_xml('SELECT * FROM auth_tokens', true, false, '')",
            "INSERT INTO packets (rid) VALUES ('x')",
            "DELETE FROM masterdata_current",
        ):
            with pytest.raises(QueryError):
                connectors.scalar("server", sql)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM masterdata_current")).scalar() == 2
    finally:
        connectors.dispose()
        engine.dispose()


def test_server_connector_without_the_privilege_falls_back_to_read_only(app_database, tmp_path, caplog):
    engine = create_engine(app_database(createrole=False))
    _fill(engine)
    with engine.begin() as conn, caplog.at_level(logging.WARNING):
        assert ensure_report_reader_role(conn) is False
        assert conn.execute(text("SELECT 1")).scalar() == 1  # the caller's transaction goes on
    assert "report reader role: could not create it" in caplog.text
    connectors = _connectors(engine, tmp_path, server_options=ConnectorOptions(timeout_s=1))
    try:
        assert connectors.test("server").endswith("without the " + connector_dialects.READER_ROLE + " role")
        with pytest.raises(QueryError, match="read-only transaction"):
            connectors.scalar("server", "SELECT nextval('masterdata_changes_seq_seq')")
        with pytest.raises(QueryTimeout):
            connectors.scalar("server", "SELECT pg_sleep(3)")
    finally:
        connectors.dispose()
        engine.dispose()

"""Report connectors on SQLite files: the progress-handler timeout (renewed at each fetched batch),
query_only with no way out (PRAGMA, ATTACH), limits, and the built-in connector's table rules when the
server's own database is SQLite."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import Base
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.connectors import (
    Connectors,
    InvalidConnector,
    QueryError,
    QueryTimeout,
    RowLimitExceeded,
)
from sync_server.reports.secrets import ReportSecrets

COUNT_TO_A_BILLION = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) SELECT count(*) FROM c"


@pytest.fixture
def world(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)
    create_backend_tables(engine)
    target = create_engine(f"sqlite:///{tmp_path / 'data.db'}")
    with target.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
        conn.exec_driver_sql(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100) INSERT INTO t SELECT n FROM c"
        )
    target.dispose()
    connectors = Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)))
    connectors.save(
        "lite", title="SQLite", url=f"sqlite:///{tmp_path / 'data.db'}", options={"timeout_s": 1}, actor="a"
    )
    yield connectors, tmp_path
    connectors.dispose()
    engine.dispose()


def test_timeout_interrupts_a_long_query(world):
    connectors, _ = world
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s timeout"):
        connectors.scalar("lite", COUNT_TO_A_BILLION)
    assert time.monotonic() - started < 3
    assert connectors.scalar("lite", "SELECT count(*) FROM t") == 100


def test_a_slow_reader_is_not_timed_out_between_batches(world):
    connectors, _ = world
    connectors.save("lite", title=None, url=None, options={"timeout_s": 1, "fetch_rows": 10}, actor="a")
    seen = 0
    with connectors.query("lite", "SELECT x FROM t ORDER BY x") as result:
        for (x,) in result.rows:
            seen = x
            if x <= 30:
                time.sleep(0.05)  # 1.5 s in all, but never 1 s within one batch
    assert seen == 100


def test_query_only_cannot_be_left(world):
    connectors, tmp_path = world
    for sql in (
        "INSERT INTO t VALUES (1)",
        "PRAGMA query_only = OFF",
        f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other",
        "DELETE FROM t",
    ):
        with pytest.raises(QueryError):
            connectors.scalar("lite", sql)
    assert connectors.scalar("lite", "SELECT count(*) FROM t") == 100
    assert not (tmp_path / "other.db").exists()


def test_row_limit_and_parameters(world):
    connectors, _ = world
    connectors.save("lite", title=None, url=None, options={"max_rows": 10}, actor="a")
    with connectors.query("lite", "SELECT x FROM t WHERE x <= :top", {"top": 10}) as result:
        assert len(list(result.rows)) == 10
    with pytest.raises(RowLimitExceeded), connectors.query("lite", "SELECT x FROM t") as result:
        list(result.rows)


def test_server_connector_on_sqlite_reads_only_report_tables(world):
    connectors, tmp_path = world
    assert connectors.scalar("server", "SELECT count(*) FROM packets") == 0
    assert connectors.scalar("server", "SELECT count(*) FROM report_runs") == 0
    for table in (
        "masterdata_current",
        "auth_tokens",
        "report_secrets",
        "console_accounts",
        "idstore_identities",
    ):
        with pytest.raises(QueryError, match="prohibited|not authorized"):
            connectors.scalar("server", f"SELECT count(*) FROM {table}")
    with pytest.raises(QueryError):
        connectors.scalar("server", "INSERT INTO packets (rid) VALUES ('x')")
    with pytest.raises(InvalidConnector, match="server's own database"):
        connectors.save("me", title="Me", url=f"sqlite:///{tmp_path / 'server.db'}", options=None, actor="a")
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM packets")).scalar() == 0
    engine.dispose()

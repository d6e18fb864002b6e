"""Report connectors on a real MariaDB: streaming through an unbuffered (server-side) cursor, named
parameters, max_statement_time, row and byte limits (stopping early without reading the rest),
read-only transactions, passwords kept out of lists and errors, one pool per connector version."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.connectors import (
    ByteLimitExceeded,
    Connectors,
    ConnectorUnavailable,
    QueryError,
    QueryTimeout,
    RowLimitExceeded,
)
from sync_server.reports.secrets import ReportSecrets
from sync_server.services.audit import list_entries

PASSWORD = "s3cret-pw"


@pytest.fixture
def world(mariadb_url, tmp_path):
    """The server's own tables in SQLite; connector 'maria' on a fresh MariaDB database with a table."""
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_backend_tables(engine)
    target = create_engine(mariadb_url)
    with target.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer, s varchar(20)) ENGINE=InnoDB")
        conn.execute(text("INSERT INTO t VALUES (1, 'a%b'), (2, 'c')"))
    target.dispose()
    connectors = Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)))
    connectors.save("maria", title="MariaDB", url=mariadb_url, options={"timeout_s": 1}, actor="admin1")
    yield connectors, mariadb_url
    connectors.dispose()
    engine.dispose()


def test_streams_200k_rows_through_an_unbuffered_cursor(world):
    connectors, url = world
    sql = "SELECT seq AS n, REPEAT('x', 100) AS pad FROM seq_1_to_200000"
    # max_statement_time covers the whole streamed statement: give reading it time
    connectors.save("maria", title=None, url=None, options={"timeout_s": 60}, actor="admin1")
    watcher = create_engine(url)
    running = text("SELECT count(*) FROM information_schema.processlist WHERE info LIKE 'SELECT seq AS n%'")
    try:
        with connectors.query("maria", sql) as result, watcher.connect() as watch:
            assert result.columns == ["n", "pad"]
            count, total = 1, next(result.rows)[0]
            # The first row is here and the statement still runs: the server sends as the client reads
            # (22 MB of rows do not fit in the socket buffers).
            assert watch.execute(running).scalar() == 1
            for n, _pad in result.rows:
                count, total = count + 1, total + n
        assert count == 200_000 and total == 200_000 * 200_001 // 2
        with watcher.connect() as watch:
            assert watch.execute(running).scalar() == 0
    finally:
        watcher.dispose()


def test_named_parameters(world):
    connectors, _ = world
    sql = "SELECT x, s FROM t WHERE x >= :low AND s LIKE :pattern ORDER BY x"
    with connectors.query("maria", sql, {"low": 1, "pattern": "%"}) as result:
        assert (result.columns, list(result.rows)) == (["x", "s"], [(1, "a%b"), (2, "c")])
    assert connectors.scalar("maria", "SELECT count(*) FROM t WHERE s LIKE 'a%'") == 1


def test_statement_timeout_fails_fast(world):
    connectors, _ = world
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="max_statement_time"):
        connectors.scalar("maria", "SELECT SLEEP(5)")
    assert time.monotonic() - started < 3
    assert connectors.scalar("maria", "SELECT 2") == 2


def test_row_and_byte_limits_stop_without_reading_the_rest(world):
    connectors, _ = world
    connectors.save("maria", title=None, url=None, options={"max_rows": 1000, "max_bytes": 50_000}, actor="a")
    started = time.monotonic()
    with (
        pytest.raises(RowLimitExceeded, match="more than 1000 rows"),
        connectors.query("maria", "SELECT seq FROM seq_1_to_50000000") as result,
    ):
        list(result.rows)
    assert time.monotonic() - started < 3  # 50 million rows were not drained
    with (
        pytest.raises(ByteLimitExceeded, match="more than 50000 bytes"),
        connectors.query("maria", "SELECT REPEAT('y', 100) FROM seq_1_to_900") as result,
    ):
        list(result.rows)
    assert connectors.scalar("maria", "SELECT count(*) FROM seq_1_to_1000") == 1000


def test_writes_are_refused(world):
    connectors, url = world
    for sql in ("INSERT INTO t VALUES (3, 'd')", "UPDATE t SET x = 9", "DELETE FROM t"):
        with pytest.raises(QueryError, match="READ ONLY transaction"):
            connectors.scalar("maria", sql)
    with pytest.raises(QueryError):  # pymysql sends one statement: no piggy-backed COMMIT
        connectors.scalar("maria", "COMMIT; INSERT INTO t VALUES (3, 'd')")
    target = create_engine(url)
    with target.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    target.dispose()


def test_password_is_never_shown(world, mariadb_server):
    connectors, _ = world
    url = f"mariadb+pymysql://root:{PASSWORD}@127.0.0.1:{mariadb_server.port}/nope"
    connectors.save("bad", title="Bad", url=url, options=None, actor="admin1")
    listed = {c["id"]: c for c in connectors.list()}
    assert listed["bad"]["url"] == f"mariadb+pymysql://root:***@127.0.0.1:{mariadb_server.port}/nope"
    assert listed["bad"]["dialect"] == "mariadb"
    assert PASSWORD not in repr(connectors.list())
    with connectors.store.engine.connect() as conn:
        assert PASSWORD not in repr(list_entries(conn))
    with pytest.raises(ConnectorUnavailable, match="Access denied") as caught:
        connectors.test("bad")
    assert PASSWORD not in str(caught.value)


def test_pool_is_reused_and_replaced_after_an_edit(world):
    connectors, _ = world
    first = connectors.scalar("maria", "SELECT CONNECTION_ID()")
    assert connectors.scalar("maria", "SELECT CONNECTION_ID()") == first
    connectors.save("maria", title="Renamed", url=None, options=None, actor="admin1")
    second = connectors.scalar("maria", "SELECT CONNECTION_ID()")
    assert second != first
    listed = connectors.scalar(
        "maria", "SELECT count(*) FROM information_schema.processlist WHERE id = :i", {"i": first}
    )
    assert listed == 0  # the old pool was closed
    assert "connected: mariadb (pymysql)" in connectors.test("maria") or "mysql (pymysql)" in connectors.test(
        "maria"
    )

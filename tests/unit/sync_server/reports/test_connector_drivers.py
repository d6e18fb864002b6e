"""SQL Server, Oracle and ODBC connectors without such a server: they are stored, listed redacted, and
a test against nothing (or with the driver missing) fails as ConnectorUnavailable without the password."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.connectors import Connectors, ConnectorUnavailable, InvalidConnector
from sync_server.reports.secrets import ReportSecrets

PASSWORD = "pw-987654"


@pytest.fixture
def connectors(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    create_backend_tables(engine)
    found = Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)))
    yield found
    found.dispose()
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "dialect", "driver"),
    [
        (f"mssql+pymssql://rep:{PASSWORD}@127.0.0.1:1/reg", "mssql", "mssql (pymssql)"),
        (
            f"mssql+pyodbc://rep:{PASSWORD}@127.0.0.1:1/reg?driver=ODBC+Driver+18+for+SQL+Server",
            "mssql",
            "mssql (pyodbc)",
        ),
        (
            "mssql+pyodbc:///?odbc_connect="
            + quote_plus(f"DRIVER={{FreeTDS}};SERVER=127.0.0.1;PORT=1;UID=rep;PWD={PASSWORD}"),
            "mssql",
            "mssql (pyodbc, ODBC connect string)",
        ),
        (
            f"oracle+oracledb://rep:{PASSWORD}@127.0.0.1:1/?service_name=REG",
            "oracle",
            "oracle (oracledb, thin mode)",
        ),
    ],
    ids=["pymssql", "pyodbc", "odbc_connect", "oracledb"],
)
def test_stored_listed_redacted_and_unreachable(connectors, url, dialect, driver):
    connectors.save("ext", title="External", url=url, options={"timeout_s": 5}, actor="admin1")
    listed = next(c for c in connectors.list() if c["id"] == "ext")
    assert (listed["dialect"], listed["driver"]) == (dialect, driver)
    assert PASSWORD not in repr(listed)
    with pytest.raises(ConnectorUnavailable, match="connector 'ext'") as caught:
        connectors.test("ext")
    assert PASSWORD not in str(caught.value)


def test_the_server_connector_needs_a_database_another_connection_can_read(tmp_path):
    engine = create_engine("sqlite://")
    create_backend_tables(engine)
    connectors = Connectors(engine, ReportSecrets(engine, DataKeyring(tmp_path)))
    with pytest.raises(InvalidConnector, match="in-memory"):
        connectors.scalar("server", "SELECT 1")

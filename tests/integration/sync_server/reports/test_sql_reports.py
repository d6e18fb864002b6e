"""A SQL report end to end on real servers: the server database on PostgreSQL (migrated, with the
report reader role), a warehouse on MariaDB behind a connector, a mapping set, a sandboxed transform,
a SQL check and a row rule, XML with a schema, delivery to a folder — and the same run's failures."""

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.report_parts import build_report_parts
from sync_server.reports.definitions import parse_spec
from sync_server.reports.runlog import run_events

pytestmark = pytest.mark.postgres

TRANSFORM = """
COLUMNS = ["region", "center_id", "registrations", "share"]

def transform(rows, params, lookup):
    rows = list(rows)
    total = sum(int(r["n"]) for r in rows) or 1
    for r in rows:
        yield {"region": r["region"], "center_id": r["center_id"], "registrations": int(r["n"]),
               "share": round(int(r["n"]) / total, 3)}
"""


@pytest.fixture
def parts(postgres_url, mariadb_url, tmp_path):
    engine = make_engine(postgres_url)
    migrate(engine, data_dir=tmp_path)
    warehouse = create_engine(mariadb_url)
    with warehouse.begin() as conn:
        conn.execute(text("CREATE TABLE registrations (center_id VARCHAR(5), day DATE)"))
        conn.execute(
            text("INSERT INTO registrations VALUES (:c, :d)"),
            [
                {"c": c, "d": f"2026-12-0{d}"}
                for c, d in [("10001", 1), ("10001", 2), ("10002", 2), ("10003", 3)]
            ],
        )
    parts = build_report_parts(engine, tmp_path)
    parts.report_connectors.save(
        "warehouse", title="Warehouse", url=mariadb_url, options={"timeout_s": 10}, actor="t"
    )
    parts.report_mappings.save_set(
        "regions", title="Center to region", on_missing="fallback", fallback="unknown", actor="t"
    )
    parts.report_mappings.import_csv(
        "regions",
        b"key,value,effective_from,effective_to\n10001,North,,\n10002,South,,\n",
        replace=True,
        actor="t",
    )
    parts.report_destinations.save(
        "outbox",
        title="Outbox",
        kind="folder",
        config={"folder": str(tmp_path / "reports" / "outbox")},
        actor="t",
    )
    yield parts
    parts.dispose()
    engine.dispose()


def spec(**changes) -> dict:
    return {
        "title": "Registrations per region",
        "parameters": [{"name": "since", "type": "date", "default": "2026-12-02"}],
        "source": {
            "kind": "sql",
            "connector": "warehouse",
            "query": "SELECT center_id, count(*) AS n FROM registrations WHERE day >= :since "
            "GROUP BY center_id ORDER BY center_id",
        },
        "mappings": [{"column": "center_id", "set": "regions", "as_column": "region"}],
        "transform": {"code": TRANSFORM, "timeout_s": 20},
        "validations": [
            {
                "kind": "sql",
                "name": "rows arrived",
                "query": "SELECT count(*) FROM registrations",
                "expect": "count",
                "min": 1,
            },
            {"kind": "rule", "name": "share is a fraction", "expression": "0 <= share <= 1"},
        ],
        "formats": ["csv", "xml"],
        "xml": {"root": "regions", "row": "center"},
        "routes": [{"destination": "outbox"}],
    } | changes


def test_a_sql_report_runs_through_every_stage_and_is_delivered(parts, tmp_path):
    service = parts.reports
    service.definitions.save("regions", parse_spec(spec()), actor="t")
    run_id = service.run("regions")
    run = service.run_row(run_id)
    assert run["status"] == "succeeded", run["error"]
    artifacts = {a["format"]: Path(a["path"]) for a in service.artifacts(run_id)}
    with artifacts["csv"].open() as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["region", "center_id", "registrations", "share"],
        ["North", "10001", "1", "0.333"],
        ["South", "10002", "1", "0.333"],
        ["unknown", "10003", "1", "0.333"],
    ]
    delivered = sorted(p.name for p in (tmp_path / "reports" / "outbox").iterdir())
    assert artifacts["csv"].name in delivered and artifacts["csv"].name + ".sha256" in delivered
    meta = json.loads(artifacts["meta"].read_text())
    assert meta["parameters"] == {"since": "2026-12-02"} and [v["passed"] for v in meta["validations"]] == [
        True,
        True,
    ]
    stages = [e["stage"] for e in run_events(service.engine, run_id)]
    for stage in ("query", "mappings", "transform", "validations", "artifacts", "delivery"):
        assert stage in stages


def test_failures_are_clear_run_failures_with_the_users_trace(parts):
    service = parts.reports
    broken = spec(transform={"code": "def transform(rows, params, lookup):\n    return 1 / 0\n"})
    service.definitions.save("broken", parse_spec(broken), actor="t")
    run = service.run_row(service.run("broken"))
    assert run["status"] == "failed" and "division by zero" in run["error"]
    error = next(e["message"] for e in run_events(service.engine, run["id"]) if e["level"] == "error")
    assert "line 2" in error  # the user's own line
    checked = spec(
        validations=[{"kind": "sql", "name": "too few", "query": "SELECT 1", "expect": "count", "min": 5}]
    )
    service.definitions.save("checked", parse_spec(checked), actor="t")
    run = service.run_row(service.run("checked"))
    assert run["status"] == "failed" and run["error"] == "a blocking validation failed"
    assert not [
        e for e in run_events(service.engine, run["id"]) if e["stage"] == "delivery" and e["level"] == "start"
    ]


def test_the_server_connector_reads_the_servers_tables_but_no_users(parts):
    service = parts.reports
    own = {"kind": "sql", "connector": "server", "query": "SELECT count(*) AS packets FROM packets"}
    service.definitions.save(
        "own", parse_spec(spec(source=own, mappings=[], transform=None, validations=[])), actor="t"
    )
    assert service.run_row(service.run("own"))["status"] == "succeeded"
    users = {"kind": "sql", "connector": "server", "query": "SELECT * FROM auth_tokens"}
    service.definitions.save(
        "tokens", parse_spec(spec(source=users, mappings=[], transform=None, validations=[])), actor="t"
    )
    run = service.run_row(service.run("tokens"))
    assert run["status"] == "failed" and "permission denied" in run["error"]

"""A report run killed mid-write (SIGKILL of the `openreg admin reports run` process): no file looks
finished, the run is ended as interrupted by the next server start (or trigger poll), its half-written
files are removed, and the report runs again cleanly."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.report_parts import build_report_parts
from sync_server.reports.definitions import parse_spec
from sync_server.reports.runlog import run_events

COUNT = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < :rows) "
SPEC = {
    "title": "Many rows",
    "parameters": [{"name": "rows", "type": "integer", "default": 3_000_000}],
    "source": {
        "kind": "sql",
        "connector": "server",
        "query": COUNT + "SELECT n, 'row ' || n AS label FROM c",
    },
    "formats": ["csv", "json"],
}


def test_a_run_killed_mid_write_leaves_no_finished_looking_file_and_is_ended_at_the_next_start(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(db_url)
    create_backend_tables(engine)
    data = tmp_path / "data"
    parts = build_report_parts(engine, data)
    parts.reports.definitions.save("many", parse_spec(SPEC), actor="t")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared",
            "admin",
            "reports",
            "run",
            "--db",
            db_url,
            "--data",
            str(data),
            "many",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            runs = parts.reports.runs("many")
            if runs and any("rows so far" in e["message"] for e in run_events(engine, runs[0]["id"])):
                break
            time.sleep(0.05)
        assert child.poll() is None, child.stderr.read().decode()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    run = parts.reports.runs("many")[0]
    assert run["status"] == "running"  # nobody ended it: the process is gone
    written = sorted(p.name for p in (data / "reports" / "many").iterdir())
    assert written and all(name.startswith(".") and name.endswith(".part") for name in written), written

    assert parts.reports.fail_stale_runs(quiet_for=dt.timedelta(hours=2)) == []  # it might still be going
    assert parts.reports.fail_stale_runs(quiet_for=dt.timedelta(0)) == [run["id"]]
    ended = parts.reports.run_row(run["id"])
    assert ended["status"] == "failed" and ended["error"].startswith("interrupted")
    assert list((data / "reports" / "many").iterdir()) == []

    again = parts.reports.run("many", parameters={"rows": 1000})
    assert parts.reports.run_row(again)["status"] == "succeeded"
    json_file = next(a["path"] for a in parts.reports.artifacts(again) if a["format"] == "json")
    assert len(json.loads(Path(json_file).read_text())["rows"]) == 1000

"""``openreg admin reports``: set a definition from a JSON file, show and list its versions, see its next
runs, run it with parameters (timeline and artifacts printed, exit status 1 on failure), follow its
log, download its verified artifacts; and a connector in use cannot be deleted."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.reports_cli import reports


@pytest.fixture
def cli(tmp_path):
    db_url = f"sqlite:///{tmp_path / 's.db'}"
    engine = create_engine(db_url)
    create_backend_tables(engine)
    engine.dispose()
    common = ["--db", db_url, "--data", str(tmp_path / "data")]

    def run(*args: str, input: str | None = None):
        command = 2 if args[0] in ("connectors", "destinations", "mappings") else 1  # a group's command
        return CliRunner().invoke(reports, [*args[:command], *common, *args[command:]], input=input)

    return run, tmp_path


SPEC = {
    "title": "Rejections",
    "parameters": [{"name": "days", "type": "integer", "default": 7}],
    "source": {"kind": "builtin", "function": "rejection_reasons"},
    "formats": ["csv"],
    "schedule": {"cron": "30 6 * * *", "timezone": "Europe/Paris", "business_days": "skip"},
}


def test_a_definition_is_set_shown_versioned_and_run(cli):
    run, tmp_path = cli
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    assert run("set", "rej", str(spec_file)).output.strip() == "rej: version 1"
    spec_file.write_text(json.dumps(SPEC | {"title": "Rejection reasons"}))
    stale = run("set", "rej", str(spec_file), "--expected-version", "7")
    assert stale.exit_code == 1 and "reload it" in stale.output
    assert run("set", "rej", str(spec_file), "--expected-version", "1").output.strip() == "rej: version 2"
    assert [line.split()[0] for line in run("versions", "rej").output.splitlines()] == ["v2", "v1"]
    assert json.loads(run("show", "rej", "--version", "1").stdout)["title"] == "Rejections"
    listed = run("list").output
    assert "rej" in listed and "v2" in listed and "30 6 * * *" in listed
    upcoming = run("next", "rej").output.splitlines()
    assert len(upcoming) == 5 and all("Europe/Paris" in line and "06:30" in line for line in upcoming)
    assert not any(day in " ".join(upcoming) for day in ("Sat ", "Sun "))

    bad = run("run", "rej", "-p", "days=seven")
    assert bad.exit_code == 1 and "must be a whole number" in bad.output
    done = run("run", "rej", "-p", "days=3")
    assert done.exit_code == 0, done.output
    assert "query       start version 2; parameters: days = 3" in done.output and "succeeded" in done.output
    run_id = done.output.split()[1]
    assert "artifacts" in run("log", run_id).output
    target = tmp_path / "out"
    fetched = run("download", run_id, "--to", str(target))
    assert fetched.exit_code == 0 and {p.suffix for p in target.iterdir()} == {".csv", ".json", ".sha256"}


def test_broken_specs_and_failing_runs_end_with_one_clear_message(cli):
    run, tmp_path = cli
    spec_file = tmp_path / "spec.json"
    spec_file.write_text("{not json")
    assert "not JSON" in run("set", "x", str(spec_file)).output
    spec_file.write_text(
        json.dumps(SPEC | {"source": {"kind": "sql", "connector": "nowhere", "query": "SELECT 1"}})
    )
    refused = run("set", "x", str(spec_file))
    assert refused.exit_code == 1 and "no connector 'nowhere'" in refused.output
    spec_file.write_text(json.dumps(SPEC | {"source": {"kind": "input"}}))
    run("set", "x", str(spec_file))
    failed = run("run", "x")
    assert failed.exit_code == 1 and "reads the CSV that starts it" in failed.output
    assert "no report definition 'y'" in run("run", "y").output


def test_a_connector_a_report_uses_cannot_be_deleted(cli):
    run, tmp_path = cli
    (tmp_path / "url").write_text(f"sqlite:///{tmp_path / 'other.db'}\n")
    assert (
        run("connectors", "set", "other", "--title", "Other", "--url-file", str(tmp_path / "url")).exit_code
        == 0
    )
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(
        json.dumps(SPEC | {"source": {"kind": "sql", "connector": "other", "query": "SELECT 1 AS one"}})
    )
    assert run("set", "one", str(spec_file)).exit_code == 0
    refused = run("connectors", "delete", "other")
    assert refused.exit_code != 0 and "used by report(s) one" in refused.output

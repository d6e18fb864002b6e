"""``--json`` on the server's list, status and import commands, against one real data dir: each prints
one JSON document with its keys (dates ISO 8601 UTC, no secrets), errors keep their line on stderr and
exit code and add one error object; a real process shows no progress into a pipe, and a report run on a
pseudo-terminal draws its bar."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from shared.cli import main
from tests.support.terminal import run_on_a_terminal

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "s3cret-Pa55word"
ROWS = 120_000
BIG_QUERY = (
    f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) SELECT i AS n FROM n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A migrated data dir with a center, one pending kiosk, a report, a connector, a mapping set."""
    from shared.sync import EnrolRequest
    from sync_server.cli_options import cli_state
    from sync_server.services.machines import EnrolmentLimits, enrol_machine

    root = tmp_path_factory.mktemp("cli-json")
    data = root / "server"
    centers = root / "centers.csv"
    centers.write_text("id,name\n10001,Capital\n")
    imported = admin("masterdata", "import", "--data", str(data), str(centers), "--json")
    assert imported.exit_code == 0, imported.output
    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with Session(cli_state(data, None).engine) as session:
        enrol_machine(
            session,
            request=EnrolRequest(
                public_key=base64.b64encode(key).decode(), center_id="10001", name="Kiosk A"
            ),
            auto_approve=False,
            address="127.0.0.1",
            limits=EnrolmentLimits(per_address=5, total=50, pending_ttl=dt.timedelta(days=1)),
        )
    db = ["--db", f"sqlite:///{data / 'server.db'}", "--data", str(data)]
    spec = root / "big.json"
    spec.write_text(
        json.dumps(
            {"title": "Counting", "source": {"kind": "sql", "query": BIG_QUERY}, "formats": ["csv"]}
            | {"schedule": {"cron": "30 6 * * *", "timezone": "Africa/Dakar"}}
        )
    )
    assert admin("reports", "set", *db, "big", str(spec)).exit_code == 0
    url = root / "url"
    url.write_text(f"postgresql://reader:{PASSWORD}@db.example:5432/registry\n")
    assert (
        admin(
            "reports", "connectors", "set", *db, "remote", "--title", "Remote", "--url-file", str(url)
        ).exit_code
        == 0
    )
    assert admin("reports", "mappings", "set", *db, "regions", "--title", "Regions").exit_code == 0
    return data, db, root, json.loads(imported.stdout)


def admin(*args: str):
    return CliRunner().invoke(main, ["admin", *args])


def document(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_master_data_import_and_its_refusal(server):
    data, _db, root, first = server
    assert set(first) == {"applied", "upserts", "deletes", "first_seq", "last_seq"} and first["applied"] == 1
    bad = root / "languages.csv"
    bad.write_text("id,name,rtl\neng,English,false\nxx,,maybe\n")
    refused = admin("masterdata", "import", "--data", str(data), str(bad), "--json")
    assert refused.exit_code == 65
    error = json.loads(refused.stdout)["error"]
    assert error["exit_code"] == 65 and "nothing applied" in error["message"]
    assert {"file": "languages.csv", "row": 3, "field": "name"}.items() <= error["details"]["problems"][
        0
    ].items()
    assert "Error: import refused" in refused.stderr  # the line on stderr is as without --json
    problems = document(admin("masterdata", "problems", "--data", str(data), "--json"))
    assert problems == {"problems": []}


def test_machines_packets_audit_and_schema(server):
    data = str(server[0])
    machines = document(admin("machines", "list", "--data", data, "--json"))["machines"]
    assert [m["name"] for m in machines] == ["Kiosk A"]
    assert set(machines[0]) == {
        "machine_id",
        "status",
        "center_id",
        "name",
        "last_masterdata_sync_at",
        "public_key",
    }
    assert machines[0]["status"] == "pending" and machines[0]["last_masterdata_sync_at"] is None
    assert document(admin("packets", "list", "--data", data, "--json")) == {"packets": []}
    verdict = document(admin("audit", "verify", "--data", data, "--json"))
    assert verdict["ok"] is True and verdict["entries"] >= 1 and verdict["first_broken_seq"] is None
    lines = admin("audit", "list", "--data", data, "--json").stdout.splitlines()  # JSON Lines, as before
    assert json.loads(lines[0])["action"]
    current = document(admin("db", "current", "--data", data, "--json"))
    assert current["at_head"] is True and current["revisions"] == [current["head"]]
    history = document(admin("db", "history", "--data", data, "--json"))["revisions"]
    assert set(history[0]) == {"revision", "down_revision", "message", "current"}
    assert [r["revision"] for r in history if r["current"]] == [current["head"]]


def test_reports_lists_and_a_run(server):
    _data, db, root, _ = server
    listed = document(admin("reports", "list", *db, "--runs", "--json"))
    big = next(d for d in listed["definitions"] if d["id"] == "big")
    assert big == {
        "id": "big",
        "cron": "30 6 * * *",
        "timezone": "Africa/Dakar",
        "formats": ["csv"],
        "active": True,
        "version": 1,
        "title": "Counting",
    }
    versions = document(admin("reports", "versions", *db, "big", "--json"))
    assert versions["versions"][0]["version"] == 1 and versions["versions"][0]["created_at"].endswith("Z")
    upcoming = document(admin("reports", "next", *db, "big", "--count", "2", "--json"))
    assert len(upcoming["next_runs"]) == 2 and upcoming["next_runs"][0]["at"].endswith("06:30:00Z")

    ran = document(admin("reports", "run", *db, "big", "--json"))
    assert ran["run"]["status"] == "succeeded" and ran["run"]["row_count"] == ROWS
    assert [a["format"] for a in ran["artifacts"]] == ["csv", "meta"]
    assert {e["stage"] for e in ran["events"]} >= {"query", "artifacts"}
    logged = document(admin("reports", "log", *db, str(ran["run"]["id"]), "--json"))
    assert logged["events"] == ran["events"] and logged["run"]["id"] == ran["run"]["id"]

    connectors = document(admin("reports", "connectors", "list", *db, "--json"))["connectors"]
    assert [c["id"] for c in connectors] == ["server", "remote"]
    assert PASSWORD not in json.dumps(connectors)  # redacted, as the text list shows it
    assert document(admin("reports", "destinations", "list", *db, "--json")) == {"destinations": []}
    csv = root / "regions.csv"
    csv.write_text("key,value,effective_from,effective_to\nDK,Dakar,2020-01-01,\nTH,Thies,2020-01-01,\n")
    imported = document(admin("reports", "mappings", "import", *db, "regions", str(csv), "--json"))
    assert imported == {"set_id": "regions", "imported": 2, "replaced": None}
    sets = document(admin("reports", "mappings", "list", *db, "--json"))["mapping_sets"]
    assert sets == [
        {"id": "regions", "title": "Regions", "entries": 2, "on_missing": "fail", "fallback": None}
    ]
    csv.write_text("key,value,effective_from,effective_to\nDK,,2020-01-01,\n")
    bad = admin("reports", "mappings", "import", *db, "regions", str(csv), "--json")
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"]["details"]["error_count"] == 1


def openreg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_real_process_prints_only_the_document_and_fails_with_an_object(server, tmp_path):
    _data, db, _root, _ = server
    listed = openreg("admin", "reports", "run", *db, "big", "--json")
    assert listed.returncode == 0 and listed.stderr == ""  # no progress into a pipe
    assert json.loads(listed.stdout)["run"]["row_count"] == ROWS
    missing = openreg("admin", "db", "current", "--data", str(tmp_path / "nowhere"), "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["message"].endswith("is --data the server's data dir?")
    assert missing.stderr.count("\n") == 1 and missing.stderr.startswith("Error: ")


def test_a_report_run_on_a_terminal_draws_its_bar(server):
    _data, db, _root, _ = server
    status, out, terminal = run_on_a_terminal(
        [sys.executable, "-m", "shared", "admin", "reports", "run", *db, "big"]
    )
    assert status == 0 and "succeeded" in out
    assert "report run" in terminal and f"{ROWS:,} rows" in terminal and "\r" in terminal
    quiet_status, quiet_out, quiet_terminal = run_on_a_terminal(
        [sys.executable, "-m", "shared", "admin", "reports", "run", *db, "big", "--json"]
    )
    assert (
        quiet_status == 0 and quiet_terminal == "" and json.loads(quiet_out)["run"]["status"] == "succeeded"
    )

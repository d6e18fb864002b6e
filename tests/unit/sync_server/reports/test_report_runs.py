"""Report definitions as versioned data and runs through every stage, on SQLite: parameters, input
CSVs, row rules, artifacts in every format with checksums and metadata, chaining, triggers."""

import csv
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.artifacts import ArtifactSet, verify_artifact
from sync_server.reports.definitions import InvalidDefinition, VersionConflict, parse_spec
from sync_server.reports.destinations import ReportDestinations
from sync_server.reports.runlog import run_events
from sync_server.reports.runner import ReportService, RunRefused
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.spec import InputSource, ReportSpec, Route, RowRule, Triggers, XmlOptions
from sync_server.reports.tables import report_secrets, report_validation_results
from sync_server.reports.triggers import TriggerWatcher, WebhookRefused, webhook_signature
from sync_server.services.report_context import server_report_context

XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="centers"><xs:complexType><xs:sequence>
    <xs:element name="center" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="center_id" type="xs:string"/>
      <xs:element name="received" type="xs:integer"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


@pytest.fixture
def service(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    create_backend_tables(engine)
    return ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )


def input_spec(**extra) -> ReportSpec:
    return ReportSpec(title="Centers", source=InputSource(), formats=["csv", "json", "xml", "pdf"], **extra)


def write_csv(path: Path, rows) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([["center_id", "received"], *rows])
    return path


def test_every_save_is_a_new_version_and_runs_record_theirs(service, tmp_path):
    defs = service.definitions
    assert defs.save("centers", input_spec(), actor="ana") == 1
    assert defs.save("centers", input_spec(), actor="ana") == 1  # nothing changed: no new version
    assert defs.save("centers", input_spec(description="per center"), actor="ben", expected_version=1) == 2
    with pytest.raises(VersionConflict, match="version 2 now"):
        defs.save("centers", input_spec(description="stale edit"), actor="ana", expected_version=1)
    assert [v["version"] for v in defs.versions("centers")] == [2, 1]
    assert defs.get("centers", 1).spec.description == ""
    run_id = service.run("centers", input_file=write_csv(tmp_path / "in.csv", [["10001", 4]]))
    assert service.run_row(run_id)["definition_version"] == 2


def test_specs_that_name_what_does_not_exist_are_refused_with_every_problem(service):
    spec = parse_spec(
        {
            "title": "Bad",
            "source": {"kind": "sql", "connector": "warehouse", "query": "SELECT 1"},
            "mappings": [{"column": "x", "set": "regions", "as_column": "region"}],
            "routes": [{"destination": "sftp-ho"}],
            "validations": [{"kind": "rule", "name": "r", "expression": "a >"}],
            "triggers": {"after": ["nothing"]},
        }
    )
    with pytest.raises(InvalidDefinition) as problem:
        service.definitions.save("bad", spec, actor="t")
    for expected in ("warehouse", "regions", "sftp-ho", "nothing", "rule 'r'"):
        assert expected in str(problem.value)
    with pytest.raises(InvalidDefinition, match="formats"):
        parse_spec({"title": "x", "source": {"kind": "input"}, "formats": ["xlsx"]})


def test_a_run_writes_every_format_with_checksums_metadata_and_a_valid_xml(service, tmp_path):
    spec = input_spec(xml=XmlOptions(root="centers", row="center", xsd=XSD))
    service.definitions.save("centers", spec, actor="t")
    source = write_csv(tmp_path / "in.csv", [["10001", 4], ["10002", 7]])
    run_id = service.run("centers", input_file=source)
    run = service.run_row(run_id)
    assert run["status"] == "succeeded" and run["row_count"] == 2, run["error"]
    artifacts = {a["format"]: Path(a["path"]) for a in service.artifacts(run_id)}
    assert set(artifacts) == {"csv", "json", "xml", "pdf", "meta"}
    for path in artifacts.values():
        verify_artifact(path)
    assert json.loads(artifacts["json"].read_text())["rows"] == [["10001", "4"], ["10002", "7"]]
    root = etree.parse(str(artifacts["xml"])).getroot()
    assert root.tag == "centers" and root[1].findtext("received") == "7"
    meta = json.loads(artifacts["meta"].read_text())
    assert meta["version"] == 1 and meta["rows"] == 2 and meta["status"] == "succeeded"
    assert (
        meta["files"][artifacts["csv"].name]["sha256"]
        == hashlib.sha256(artifacts["csv"].read_bytes()).hexdigest()
    )
    stages = [(e["stage"], e["level"]) for e in run_events(service.engine, run_id)]
    assert ("query", "ok") in stages and ("artifacts", "ok") in stages


def test_xml_not_matching_its_schema_fails_the_run_and_leaves_no_half_files(service, tmp_path):
    service.definitions.save(
        "centers", input_spec(xml=XmlOptions(root="centers", row="center", xsd=XSD)), actor="t"
    )
    run_id = service.run("centers", input_file=write_csv(tmp_path / "in.csv", [["10001", "many"]]))
    run = service.run_row(run_id)
    assert run["status"] == "failed" and "does not match the definition's schema" in run["error"]
    assert not list((service.out_dir / "centers").glob("*.part"))


def test_row_rules_block_or_warn_and_are_stored_per_run(service, tmp_path):
    rules = [
        RowRule(name="received is positive", expression="int(received) > 0", severity="warning"),
        RowRule(name="center id has five digits", expression="len(center_id) == 5"),
    ]
    service.definitions.save("centers", input_spec(validations=rules), actor="t")
    warned = service.run("centers", input_file=write_csv(tmp_path / "a.csv", [["10001", 0], ["10002", 3]]))
    assert service.run_row(warned)["status"] == "warning"
    failed = service.run("centers", input_file=write_csv(tmp_path / "b.csv", [["101", 1]]))
    assert service.run_row(failed)["status"] == "failed"
    with service.engine.connect() as conn:
        stored = (
            conn.execute(
                select(report_validation_results).where(report_validation_results.c.run_id == failed)
            )
            .mappings()
            .all()
        )
    assert {(r["name"], r["passed"]) for r in stored} == {
        ("received is positive", True),
        ("center id has five digits", False),
    }
    assert "1 of 1 rows fail: row 1" in next(r["detail"] for r in stored if not r["passed"])
    levels = [e["level"] for e in run_events(service.engine, failed) if e["stage"] == "delivery"]
    assert levels == ["warn"]  # "not delivered to the usual routes: a blocking validation failed"


def test_parameters_are_typed_and_unknown_ones_refused(service):
    spec = parse_spec(
        {
            "title": "Rejections",
            "source": {"kind": "builtin", "function": "rejection_reasons"},
            "parameters": [{"name": "days", "type": "integer", "default": 7}],
        }
    )
    service.definitions.save("rej", spec, actor="t")
    with pytest.raises(RunRefused, match="must be a whole number"):
        service.claim("rej", parameters={"days": "seven"})
    with pytest.raises(RunRefused, match="unknown parameter 'since'"):
        service.claim("rej", parameters={"since": "2026-01-01"})
    run_id = service.run("rej", parameters={"days": "3"})
    assert service.run_row(run_id)["status"] == "succeeded"
    assert "days = 3" in " ".join(e["message"] for e in run_events(service.engine, run_id))


def test_a_chained_report_runs_after_its_source_with_its_csv_as_input(service, tmp_path):
    service.definitions.save("centers", input_spec(), actor="t")
    follower = ReportSpec(
        title="Copy", source=InputSource(), formats=["csv"], triggers=Triggers(after=["centers"])
    )
    service.definitions.save("copy", follower, actor="t")
    first = service.run("centers", input_file=write_csv(tmp_path / "in.csv", [["10001", 4]]))
    chained = service.runs("copy")
    assert len(chained) == 1 and chained[0]["parent_run_id"] == first and chained[0]["trigger"] == "chain"
    copy_csv = Path(next(a["path"] for a in service.artifacts(chained[0]["id"]) if a["format"] == "csv"))
    assert copy_csv.read_text().splitlines() == ["center_id,received", "10001,4"]


def test_a_file_arriving_in_a_watched_folder_runs_once(service, tmp_path):
    inbox = service.out_dir / "inbox" / "centers"
    inbox.mkdir(parents=True)
    spec = input_spec(triggers=Triggers(file={"folder": "centers", "pattern": "*.csv"}))
    with pytest.raises(ValueError):
        Triggers(file={"folder": "/etc"})
    with pytest.raises(ValueError):
        Triggers(file={"folder": "../../keys"})
    service.definitions.save("centers", spec, actor="t")
    watcher, other_server = TriggerWatcher(service), TriggerWatcher(service)
    arrived = write_csv(inbox / "day1.csv", [["10001", 4]])
    (inbox / "day2.csv.part").write_text("still copying")
    old = time.time() - 10
    os.utime(arrived, (old, old))
    started = watcher.poll() + other_server.poll() + watcher.poll()
    assert len(started) == 1 and service.run_row(started[0])["trigger"] == "file"
    assert service.run_row(started[0])["row_count"] == 1


def test_signed_webhooks_start_runs_and_replays_are_refused(service, tmp_path):
    secrets = ReportSecrets(service.engine, DataKeyring(tmp_path))
    spec = ReportSpec(
        title="Rejections",
        source={"kind": "builtin", "function": "rejection_reasons"},
        triggers=Triggers(webhook=True),
    )
    service.definitions.save("rej", spec, actor="t")
    secrets.put("webhook:rej", "k" * 32)
    with service.engine.connect() as conn:
        assert b"k" * 32 not in conn.execute(select(report_secrets.c.ciphertext)).scalar_one()
    watcher = TriggerWatcher(service, secrets)
    now = str(int(dt.datetime.now(dt.UTC).timestamp()))
    body = b'{"parameters": {}}'
    signature = webhook_signature("k" * 32, now, body)
    run_id = watcher.webhook("rej", body=body, timestamp=now, signature=signature)
    assert service.run_row(run_id)["trigger"] == "webhook"
    with pytest.raises(WebhookRefused, match="replay"):
        watcher.webhook("rej", body=body, timestamp=now, signature=signature)
    with pytest.raises(WebhookRefused, match="does not match"):
        watcher.webhook("rej", body=b"{}", timestamp=now, signature=signature)
    stale = str(int(now) - 3600)
    with pytest.raises(WebhookRefused, match="too old"):
        watcher.webhook("rej", body=body, timestamp=stale, signature=webhook_signature("k" * 32, stale, body))


def test_a_discarded_artifact_set_leaves_nothing(tmp_path):
    artifacts = ArtifactSet(tmp_path, "x", "X", ["a"], ["csv", "json", "xml", "pdf"])
    artifacts.add(["1"])
    artifacts.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_validation_is_delivered_only_to_routes_that_ask_for_failures(service, tmp_path):
    destinations = ReportDestinations(service.engine, ReportSecrets(service.engine, DataKeyring(tmp_path)))
    for name in ("receivers", "alerts"):
        destinations.save(name, title=name, kind="folder", config={"folder": str(tmp_path / name)}, actor="t")
    service.deliverer.destinations = destinations
    routes = [
        Route(destination="receivers"),
        Route(destination="alerts", statuses=["failed"], formats=["meta"]),
    ]
    rules = [RowRule(name="center id has five digits", expression="len(center_id) == 5")]
    service.definitions.save("centers", input_spec(validations=rules, routes=routes), actor="t")
    failed = service.run("centers", input_file=write_csv(tmp_path / "b.csv", [["101", 1]]))
    assert service.run_row(failed)["status"] == "failed"
    assert not (tmp_path / "receivers").exists()
    alert = next((tmp_path / "alerts").glob("*.meta.json"))
    assert json.loads(alert.read_text())["validations"][0]["passed"] is False
    assert sorted(p.suffix for p in (tmp_path / "alerts").iterdir()) == [".json", ".sha256"]
    good = service.run("centers", input_file=write_csv(tmp_path / "a.csv", [["10001", 1]]))
    assert service.run_row(good)["status"] == "succeeded"
    assert (
        len(list((tmp_path / "receivers").glob("*.csv"))) == 1
        and len(list((tmp_path / "alerts").iterdir())) == 2
    )

"""openreg admin reprocess / identity / reports commands against a real SQLite server DB."""

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from sync_server.backend_cli import identity, reprocess
from sync_server.db.backend_schema import create_backend_tables, drop_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import BlobIn, IdStore
from sync_server.processing import queue
from sync_server.processing.pipeline import Outcome, PipelineResult, RetryPolicy
from sync_server.reports.artifacts import verify_artifact
from sync_server.reports.runner import ReportService
from sync_server.reports_cli import reports
from sync_server.services.report_context import server_report_context


def setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    create_backend_tables(engine)
    return url, engine


def test_backend_tables_are_created_and_dropped_together(tmp_path):
    _, engine = setup(tmp_path)
    names = set(inspect(engine).get_table_names())
    assert {"processing_jobs", "idstore_uins", "idstore_blobs", "report_runs"} <= names
    drop_backend_tables(engine)
    assert inspect(engine).get_table_names() == []


def test_reprocess_puts_failed_packets_back(tmp_path):
    url, engine = setup(tmp_path)
    queue.enqueue(engine, rid="R1")
    claim = queue.claim_next(engine, worker_id="w", lease=dt.timedelta(seconds=9))
    queue.finish(
        engine,
        claim,
        PipelineResult(Outcome.FAILED, "verify", "stage_failed", "x"),
        policy=RetryPolicy(max_attempts=1),
    )
    runner = CliRunner()
    result = runner.invoke(reprocess, ["--db", url, "--status", "failed"])
    assert result.exit_code == 0 and "queued 1 packet" in result.output
    assert queue.job_status(engine, "R1")["status"] == "queued"
    assert runner.invoke(reprocess, ["--db", url, "--rid", "NOPE"]).exit_code == 1
    assert runner.invoke(reprocess, ["--db", url]).exit_code == 2
    # --data alone, as the other admin commands take it: the data directory's own database
    by_data = runner.invoke(reprocess, ["--data", str(tmp_path), "--rid", "R1"])
    assert by_data.exit_code == 0 and "queued 1 packet" in by_data.output
    nowhere = runner.invoke(reprocess, ["--status", "failed"], env={"OPENREG_DB": "", "OPENREG_DATA": ""})
    assert nowhere.exit_code == 2 and "--data" in nowhere.output


def test_identity_lookup_prints_and_audits(tmp_path):
    url, engine = setup(tmp_path)
    store = IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data"))
    uin = store.issue_uin(rid="R1")
    store.write_identity(
        uin=uin,
        rid="R1",
        demographics={"fullName": "Ana"},
        dedupe_key="k",
        center_id="10001",
        blobs_in=[BlobIn("document", "poi", "application/pdf", b"%PDF-doc")],
    )
    result = CliRunner().invoke(
        identity,
        [
            "--db",
            url,
            "--data",
            str(tmp_path / "data"),
            "--rid",
            "R1",
            "--purpose",
            "ticket 9",
            "--save-blobs",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["uin"] == uin and shown["blobs"][0]["bytes"] == 8
    assert (tmp_path / "out" / "00-document").read_bytes() == b"%PDF-doc"
    assert store.read_audit(uin)[0]["purpose"] == "ticket 9"
    missing = CliRunner().invoke(
        identity, ["--db", url, "--data", str(tmp_path / "data"), "--uin", "5000000008", "--purpose", "x"]
    )
    assert missing.exit_code == 1 and "no identity" in missing.output


def test_reports_list_run_download(tmp_path):
    url, engine = setup(tmp_path)
    ReportService(
        engine=engine,
        out_dir=tmp_path / "data" / "reports",
        context_factory=lambda: server_report_context(engine),
    ).install_builtin_definitions()
    runner = CliRunner()
    base = ["--db", url, "--data", str(tmp_path / "data")]
    listed = runner.invoke(reports, ["list", *base])
    assert listed.exit_code == 0 and "rejections" in listed.output and "0 6 * * *" in listed.output
    ran = runner.invoke(reports, ["run", *base, "rejections"])
    assert ran.exit_code == 0, ran.output
    run_id = int(ran.output.split()[1])  # "run 1 of rejections ..."
    got = runner.invoke(reports, ["download", *base, str(run_id), "--to", str(tmp_path / "dl")])
    assert got.exit_code == 0, got.output
    files = sorted(p.name for p in (tmp_path / "dl").iterdir())
    assert len(files) == 8 and all(  # csv, json, pdf and the metadata file, each with its .sha256
        verify_artifact(tmp_path / "dl" / f) for f in files if not f.endswith(".sha256")
    )
    assert "succeeded" in runner.invoke(reports, ["list", *base, "--runs"]).output
    assert runner.invoke(reports, ["run", *base, "nope"]).exit_code == 1

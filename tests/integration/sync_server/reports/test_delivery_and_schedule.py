"""Scheduled report runs (real APScheduler with its SQL job store) and SFTP delivery to real sshd."""

import hashlib
import time

import pytest
from sqlalchemy import create_engine

from sync_server.processing import queue
from sync_server.processing import tables as processing_tables
from sync_server.reports import tables as report_tables
from sync_server.reports.artifacts import ReportTable, verify_artifact, write_artifacts
from sync_server.reports.delivery import SftpDelivery
from sync_server.reports.runner import ReportService
from sync_server.reports.scheduler import ReportScheduler
from sync_server.services.report_context import server_report_context


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    processing_tables.metadata.create_all(engine)
    report_tables.metadata.create_all(engine)
    return url


def _artifacts(tmp_path):
    table = ReportTable(["reason_code", "packets"], [["tampered", 2], ["duplicate", 1]])
    return write_artifacts(
        table=table,
        title="Rejections",
        facts=[],
        formats=["csv", "pdf"],
        out_dir=tmp_path / "out",
        stem="rej",
    )


def test_sftp_delivery_uploads_artifacts_and_checksums(sshd, tmp_path):
    artifacts = _artifacts(tmp_path)
    delivery = SftpDelivery(
        host=sshd.host,
        port=sshd.port,
        username=sshd.username,
        key_file=sshd.client_key,
        remote_dir=str(sshd.root / "reports"),
        known_hosts=sshd.known_hosts,
        attempts=2,
    )
    placed = delivery.deliver(artifacts)
    assert len(placed) == 2
    for artifact in artifacts:
        remote = sshd.root / "reports" / artifact.path.name
        assert hashlib.sha256(remote.read_bytes()).hexdigest() == artifact.sha256
        assert verify_artifact(remote) == artifact.sha256  # checksum file travelled too
    assert not list((sshd.root / "reports").glob("*.part"))


def test_sftp_refuses_an_unknown_host_key_after_retrying(sshd, tmp_path):
    wrong = tmp_path / "known_hosts_wrong"
    wrong.write_text("")
    delivery = SftpDelivery(
        host=sshd.host,
        port=sshd.port,
        username=sshd.username,
        key_file=sshd.client_key,
        remote_dir=str(sshd.root / "x"),
        known_hosts=wrong,
        attempts=2,
    )
    started = time.monotonic()
    with pytest.raises(Exception, match="not found in known_hosts"):
        delivery.deliver(_artifacts(tmp_path))
    assert time.monotonic() - started >= 0.4  # retried with backoff before giving up
    assert not (sshd.root / "x").exists()


def test_scheduled_run_fires_from_the_persistent_job_store_and_delivers(db_url, sshd, tmp_path):
    engine = create_engine(db_url)
    queue.enqueue(engine, rid="10001100010000120261122000000")
    service = ReportService(
        engine=engine,
        out_dir=tmp_path / "reports",
        context_factory=lambda: server_report_context(engine),
        instance="one",
    )
    service.save_definition(
        id="stuck",
        title="Packets stuck per stage",
        function="packets_stuck_per_stage",
        cron="*/1 * * * * *",
        parameters={"minutes": 0},
        delivery={
            "folder": str(tmp_path / "outbox"),
            "sftp": {
                "host": sshd.host,
                "port": sshd.port,
                "username": sshd.username,
                "key_file": str(sshd.client_key),
                "known_hosts": str(sshd.known_hosts),
                "remote_dir": str(sshd.root / "drop"),
            },
        },
    )
    scheduler = ReportScheduler(service=service, jobstore_url=db_url)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            r["status"] == "succeeded" for r in service.runs("stuck")
        ):
            time.sleep(0.2)
    finally:
        scheduler.shutdown()
    runs = [r for r in service.runs("stuck") if r["status"] == "succeeded"]
    assert runs, service.runs("stuck")
    run = runs[-1]
    assert run["trigger"] == "schedule" and run["row_count"] == 1 and "@" in run["run_key"]
    artifacts = service.artifacts(run["id"])
    assert {a["format"] for a in artifacts} == {"csv", "json", "pdf"}
    for artifact in artifacts:
        name = artifact["path"].rsplit("/", 1)[1]
        assert verify_artifact(tmp_path / "outbox" / name) == artifact["sha256"]
        assert verify_artifact(sshd.root / "drop" / name) == artifact["sha256"]
        assert len(artifact["delivered"]) == 2

    # The job lives in the database: a new scheduler (a restarted server) finds it there.
    restarted = ReportScheduler(service=service, jobstore_url=db_url)
    assert [j.id for j in restarted.scheduler._lookup_jobstore("default").get_all_jobs()] == ["report:stuck"]

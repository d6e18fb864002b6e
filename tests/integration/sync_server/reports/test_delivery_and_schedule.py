"""Scheduled report runs (real APScheduler with its SQL job store) and SFTP delivery to real sshd."""

import hashlib
import time

import pytest
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.processing import queue
from sync_server.report_parts import build_report_parts
from sync_server.reports.artifacts import ReportTable, verify_artifact, write_artifacts
from sync_server.reports.delivery import DeliveryError, build_destination, deliver
from sync_server.reports.scheduler import ReportScheduler
from sync_server.reports.spec import BuiltinSource, ReportSpec, Route, Schedule


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    create_backend_tables(engine)
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


def _sftp(sshd, remote_dir, host_key=None):
    config = {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "remote_dir": str(remote_dir),
        "host_key": host_key or " ".join(sshd.known_hosts.read_text().split()[1:3]),
    }
    return build_destination({"id": "sftp", "kind": "sftp", "config": config}, sshd.client_key.read_text())


def test_sftp_delivery_uploads_artifacts_and_checksums(sshd, tmp_path):
    artifacts = _artifacts(tmp_path)
    files = [p for a in artifacts for p in (a.path, a.checksum_path)]
    placed = deliver(_sftp(sshd, sshd.root / "reports"), files, attempts=2)
    assert len(placed) == 4
    for artifact in artifacts:
        remote = sshd.root / "reports" / artifact.path.name
        assert hashlib.sha256(remote.read_bytes()).hexdigest() == artifact.sha256
        assert verify_artifact(remote) == artifact.sha256  # checksum file travelled too
    assert not list((sshd.root / "reports").glob("*.part"))


def test_sftp_refuses_an_unknown_host_key_after_retrying(sshd, tmp_path):
    wrong = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBi0i8oxJGzGVZ8YfY9T0aS0ZC3lR3qAGxeJIq1x0Wc"
    attempts = []
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="is not the pinned key"):
        deliver(
            _sftp(sshd, sshd.root / "x", host_key=wrong),
            [a.path for a in _artifacts(tmp_path)],
            attempts=2,
            backoff_s=0.5,
            on_attempt=lambda n, outcome, *_: attempts.append((n, outcome)),
        )
    assert time.monotonic() - started >= 0.4  # retried with backoff before giving up
    assert attempts == [(1, "failed"), (2, "failed")]
    assert not (sshd.root / "x").exists()


def test_scheduled_run_fires_from_the_persistent_job_store_and_delivers(db_url, sshd, tmp_path):
    engine = create_engine(db_url)
    queue.enqueue(engine, rid="10001100010000120261122000000")
    parts = build_report_parts(engine, tmp_path, instance="one")
    service = parts.reports
    destinations = parts.report_destinations
    destinations.save(
        "outbox",
        title="Outbox",
        kind="folder",
        config={"folder": str(tmp_path / "reports" / "outbox")},
        actor="t",
    )
    destinations.save(
        "ho",
        title="Head office",
        kind="sftp",
        config={
            "host": sshd.host,
            "port": sshd.port,
            "username": sshd.username,
            "host_key": sshd.known_hosts.read_text().split(" ", 1)[1],
            "remote_dir": str(sshd.root / "drop"),
        },
        secret=sshd.client_key.read_text(),
        actor="t",
    )
    spec = ReportSpec(
        title="Packets stuck per stage",
        source=BuiltinSource(function="packets_stuck_per_stage", parameters={"minutes": 0}),
        schedule=Schedule(cron="*/1 * * * * *"),
        routes=[Route(destination="outbox"), Route(destination="ho")],
    )
    service.definitions.save("stuck", spec, actor="t")
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
    assert {a["format"] for a in artifacts} == {"csv", "json", "pdf", "meta"}
    for artifact in artifacts:
        name = artifact["path"].rsplit("/", 1)[1]
        assert verify_artifact(tmp_path / "reports" / "outbox" / name) == artifact["sha256"]
        assert verify_artifact(sshd.root / "drop" / name) == artifact["sha256"]
        assert len(artifact["delivered"]) == 2

    # The job lives in the database: a new scheduler (a restarted server) finds it there.
    restarted = ReportScheduler(service=service, jobstore_url=db_url)
    assert [j.id for j in restarted.scheduler._lookup_jobstore("default").get_all_jobs()] == ["report:stuck"]

"""Report artifacts, checksums, PDF rendering (pdftoppm) and run claiming on SQLite."""

import datetime as dt
import json
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine

from sync_server.db.backend_schema import create_backend_tables
from sync_server.processing import queue
from sync_server.processing import tables as processing_tables
from sync_server.processing.job_queries import JobQueries
from sync_server.reports.artifacts import ChecksumMismatch, ReportTable, verify_artifact, write_artifacts
from sync_server.reports.builtin import ReportContext
from sync_server.reports.runner import ReportService
from sync_server.reports.schedule import Calendar, due
from sync_server.reports.spec import BuiltinSource, InputSource, ReportSpec, Schedule
from sync_server.services.report_context import server_report_context


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    processing_tables.metadata.create_all(engine)
    create_backend_tables(engine)
    return engine


def seed(engine, n=12):
    from sqlalchemy import update

    for i in range(n):
        rid = f"1000{i % 3 + 1}100010000{i:05d}"
        queue.enqueue(engine, rid=rid)
        values = {"center_id": f"1000{i % 3 + 1}", "machine_id": "10001", "operator_id": f"op{i % 2}"}
        if i % 4 == 0:
            values |= {"status": "rejected", "reason_code": "duplicate" if i % 8 else "tampered"}
        elif i % 4 == 1:
            values |= {"status": "processed", "uin": str(5000000000 + i)}
        with engine.begin() as conn:
            conn.execute(
                update(processing_tables.processing_jobs)
                .where(processing_tables.processing_jobs.c.rid == rid)
                .values(**values)
            )


def test_artifacts_have_verifying_checksums_and_the_pdf_renders(tmp_path):
    table = ReportTable(
        ["center_id", "day", "received"], [["10001", "2026-11-22", 7], ["10002", "2026-11-22", 3]]
    )
    artifacts = write_artifacts(
        table=table,
        title="Registrations per center per day",
        facts=["test run"],
        formats=["csv", "json", "pdf"],
        out_dir=tmp_path,
        stem="daily",
    )
    assert [a.format for a in artifacts] == ["csv", "json", "pdf"]
    for artifact in artifacts:
        assert verify_artifact(artifact.path) == artifact.sha256
        assert (
            subprocess.run(
                ["sha256sum", "-c", artifact.checksum_path.name], cwd=tmp_path, capture_output=True
            ).returncode
            == 0
        )
    assert (tmp_path / "daily.csv").read_text().splitlines()[1] == "10001,2026-11-22,7"
    assert json.loads((tmp_path / "daily.json").read_text())["rows"][1] == ["10002", "2026-11-22", 3]

    text = subprocess.run(
        ["pdftotext", str(tmp_path / "daily.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Registrations per center per day" in text and "10002" in text
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "daily.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    assert page.width < page.height  # A4 portrait
    pixels = np.asarray(page).astype(int)
    blue = (
        (abs(pixels[..., 0] - 0x1F) < 25)
        & (abs(pixels[..., 1] - 0x6F) < 25)
        & (abs(pixels[..., 2] - 0xB2) < 25)
    )
    bar_pixels = int(blue.sum())
    assert bar_pixels > 200  # the bar chart is drawn, not just the table

    (tmp_path / "daily.csv").write_text("tampered\n")
    with pytest.raises(ChecksumMismatch):
        verify_artifact(tmp_path / "daily.csv")


def test_builtin_reports_count_what_the_queue_holds(engine, tmp_path):
    seed(engine)
    service = ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )
    service.install_builtin_definitions()
    assert {d.id for d in service.definitions.list()} >= {"daily-registrations", "rejections", "sync-lag"}
    assert service.definitions.get("rejections").version == 1  # ordinary, versioned definitions
    run_id = service.run("rejections")
    run = service.runs("rejections")[0]
    assert run["id"] == run_id and run["status"] == "succeeded" and run["row_count"] == 2
    csv_artifact = next(a for a in service.artifacts(run_id) if a["format"] == "csv")
    assert csv_artifact["path"].endswith(".csv")
    assert sorted(Path(csv_artifact["path"]).read_text().splitlines()[1:]) == ["duplicate,1", "tampered,2"]

    daily = service.run("daily-registrations")
    rows = json.loads(
        Path(next(a["path"] for a in service.artifacts(daily) if a["format"] == "json")).read_text()
    )["rows"]
    assert sum(r[4] for r in rows) == 12 and sum(r[3] for r in rows) == 3
    stuck_ctx = ReportContext(JobQueries(engine), now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    service.context_factory = lambda: stuck_ctx
    stuck = service.run("stuck-packets")
    assert service.runs("stuck-packets")[0]["row_count"] == 1  # six queued packets, one group
    assert all(verify_artifact(Path(a["path"])) for a in service.artifacts(stuck))


def test_failed_run_is_recorded_with_its_error(engine, tmp_path):
    service = ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )
    service.definitions.save("broken", ReportSpec(title="Broken", source=InputSource()), actor="t")
    service.run("broken")
    run = service.runs("broken")[0]
    assert run["status"] == "failed" and "reads the CSV that starts it" in run["error"] and run["ended_at"]


def test_only_one_instance_runs_each_scheduled_fire_time(engine, tmp_path):
    grace = dt.timedelta(minutes=3)
    a = ReportService(
        engine=engine,
        out_dir=tmp_path / "a",
        context_factory=lambda: server_report_context(engine),
        instance="a",
        misfire_grace=grace,
    )
    b = ReportService(
        engine=engine,
        out_dir=tmp_path / "b",
        context_factory=lambda: server_report_context(engine),
        instance="b",
        misfire_grace=grace,
    )
    spec = ReportSpec(
        title="Rejections",
        source=BuiltinSource(function="rejection_reasons"),
        schedule=Schedule(cron="*/5 * * * *"),
    )
    a.definitions.save("rej", spec, actor="t")
    now = dt.datetime(2026, 11, 23, 10, 7, 12, tzinfo=dt.UTC)
    assert due(spec.schedule, Calendar.of(spec.schedule), now=now, grace=grace).minute == 5
    results = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.run_scheduled("rej", now=now)))
        for s in (a, b, a, b)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert [r["run_key"] for r in a.runs("rej")] == ["rej@2026-11-23T10:05:00+00:00"]

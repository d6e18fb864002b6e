"""The console's reports page in-process: definitions with their last and next run, "run now" (CSRF),
a definition's runs with artifacts, downloads over the console session with their checksum, strict
run ids and names, roles (admin and report manager in, auditor out), and a server with no backend."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from sync_server.reports.runner import ReportService
from sync_server.reports.tables import report_runs
from sync_server.services.report_context import server_report_context
from tests.support.console import csrf_of


@pytest.fixture
def reports(console_state, tmp_path) -> ReportService:
    """A backend with only what the page uses: the report service on the console's database."""
    engine = console_state.engine
    service = ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )
    service.install_builtin_definitions()
    console_state.backend = SimpleNamespace(reports=service)
    yield service
    console_state.backend = None


def _run_now(client, definition_id: str = "rejections"):
    csrf = csrf_of(client.get("/console/reports").text)
    return client.post(f"/console/reports/{definition_id}/run", data={"csrf": csrf}, follow_redirects=False)


def _add_run(service: ReportService, *, status: str, error: str | None = None) -> int:
    with service.engine.begin() as conn:
        return conn.execute(
            insert(report_runs).values(
                definition_id="rejections",
                run_key=f"rejections@test-{status}",
                trigger="schedule",
                instance="test",
                started_at=dt.datetime(2024, 5, 1, 6, 0, tzinfo=dt.UTC),
                ended_at=None if status == "running" else dt.datetime(2024, 5, 1, 6, 1, tzinfo=dt.UTC),
                status=status,
                error=error,
            )
        ).inserted_primary_key[0]


def test_the_list_shows_every_definition_with_a_run_now_button(signed_in, reports):
    page = signed_in(["admin"]).get("/console/reports")
    assert page.status_code == 200
    for definition in reports.definitions():
        assert (
            definition["title"] in page.text
            and f'action="/console/reports/{definition["id"]}/run"' in page.text
        )
    assert "Never run" in page.text and "data-refresh" not in page.text
    scheduled = [d for d in reports.definitions() if d["cron"] and d["active"]]
    if scheduled:  # the next fire time of the schedule is shown
        assert page.text.count("UTC</time>") >= len(scheduled)


def test_run_now_starts_a_run_and_its_page_lists_it_with_artifacts(signed_in, reports):
    client = signed_in(["admin"])
    response = _run_now(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/reports/rejections?started=1"
    runs = reports.runs("rejections")
    assert len(runs) == 1 and runs[0]["trigger"] == "manual" and runs[0]["status"] == "succeeded"
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "The report has started" in page.text
    run_id = runs[0]["id"]
    assert f'id="run-{run_id}" data-status="succeeded"' in page.text and "Run by hand" in page.text
    for fmt in ("csv", "json", "pdf"):
        assert f'href="/console/reports/runs/{run_id}/artifacts/{fmt}"' in page.text
        assert f'href="/console/reports/runs/{run_id}/artifacts/{fmt}.sha256"' in page.text
    assert "data-refresh" not in page.text
    listing = client.get("/console/reports").text
    assert "Finished" in listing


def test_run_now_needs_the_forms_csrf_token(signed_in, reports):
    client = signed_in(["admin"])
    response = client.post("/console/reports/rejections/run", data={"csrf": "forged"})
    assert response.status_code == 403 and reports.runs("rejections") == []


def test_unknown_definitions_are_404_and_malformed_ids_422(signed_in, reports):
    client = signed_in(["admin"])
    assert client.get("/console/reports/nope").status_code == 404
    assert "does not exist" in client.get("/console/reports/nope").text
    assert _run_now(client, "nope").status_code == 404 and reports.runs() == []
    assert client.get("/console/reports/bad%20id").status_code == 422


def test_a_running_run_refreshes_and_a_failed_one_shows_its_error(signed_in, reports):
    client = signed_in(["admin"])
    failed = _add_run(reports, status="failed", error="RuntimeError: the queue is unreachable")
    running = _add_run(reports, status="running")
    page = client.get("/console/reports/rejections")
    assert 'id="runs" data-refresh="5"' in page.text
    assert f'id="run-{running}" data-status="running"' in page.text
    assert f'id="run-{failed}" data-status="failed"' in page.text
    assert "RuntimeError: the queue is unreachable" in page.text and "Scheduled" in page.text
    assert "2024-05-01 06:00:00 UTC" in page.text
    assert 'id="report-list" data-refresh="5"' in client.get("/console/reports").text


def test_artifacts_download_with_their_type_name_and_checksum(signed_in, reports):
    client = signed_in(["admin"])
    _run_now(client)
    run_id = reports.runs("rejections")[0]["id"]
    artifacts = {a["format"]: a for a in reports.artifacts(run_id)}
    csv = client.get(f"/console/reports/runs/{run_id}/artifacts/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    name = artifacts["csv"]["path"].rsplit("/", 1)[-1]
    assert csv.headers["content-disposition"] == f'attachment; filename="{name}"'
    digest = hashlib.sha256(csv.content).hexdigest()
    assert csv.headers["x-checksum-sha256"] == digest == artifacts["csv"]["sha256"]
    pdf = client.get(f"/console/reports/runs/{run_id}/artifacts/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    checksum = client.get(f"/console/reports/runs/{run_id}/artifacts/pdf.sha256")
    assert checksum.headers["content-type"].startswith("text/plain")
    assert checksum.text.split()[0] == hashlib.sha256(pdf.content).hexdigest()


def test_bad_run_ids_and_names_are_refused(signed_in, reports):
    client = signed_in(["admin"])
    _run_now(client)
    run_id = reports.runs("rejections")[0]["id"]
    for path in (
        f"/console/reports/runs/{run_id + 1}/artifacts/csv",  # no such run
        f"/console/reports/runs/{run_id}/artifacts/xlsx",  # no such format in this run
        f"/console/reports/runs/{run_id}/artifacts/..%2Fcsv",  # no route takes a slash in a name
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/console/reports/runs/0/artifacts/csv",
        f"/console/reports/runs/{2**31}/artifacts/csv",  # more than the column holds
        "/console/reports/runs/x/artifacts/csv",
        f"/console/reports/runs/{run_id}/artifacts/csv.md5",
        f"/console/reports/runs/{run_id}/artifacts/..csv",
        f"/console/reports/runs/{run_id}/artifacts/CSV",
    ):
        assert client.get(path).status_code == 422, path


def test_a_deleted_artifact_file_is_404_not_an_error(signed_in, reports):
    client = signed_in(["admin"])
    _run_now(client)
    run_id = reports.runs("rejections")[0]["id"]
    csv = next(a for a in reports.artifacts(run_id) if a["format"] == "csv")
    Path(csv["path"]).unlink()
    assert client.get(f"/console/reports/runs/{run_id}/artifacts/csv").status_code == 404


def test_report_managers_may_use_the_page_and_auditors_may_not(signed_in, reports):
    manager = signed_in(["report_manager"])
    assert manager.get("/console/reports").status_code == 200
    assert _run_now(manager).status_code == 303
    run_id = reports.runs("rejections")[0]["id"]
    assert manager.get(f"/console/reports/runs/{run_id}/artifacts/json").status_code == 200

    auditor = signed_in(["auditor"])
    csrf = csrf_of(auditor.get("/console/").text)
    assert auditor.get("/console/reports").status_code == 403
    assert auditor.get("/console/reports/rejections").status_code == 403
    assert auditor.post("/console/reports/rejections/run", data={"csrf": csrf}).status_code == 403
    assert auditor.get(f"/console/reports/runs/{run_id}/artifacts/json").status_code == 403
    assert len(reports.runs("rejections")) == 1


def test_signed_out_visitors_go_to_sign_in(console_client, reports):
    response = console_client.get("/console/reports/runs/1/artifacts/csv", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"


def test_a_server_without_a_backend_says_why(signed_in, console_state):
    assert console_state.backend is None
    client = signed_in(["admin"])
    for path in ("/console/reports", "/console/reports/rejections", "/console/reports/runs/1/artifacts/csv"):
        page = client.get(path)
        assert page.status_code == 200 and "--workers 0" in page.text, path

"""The console's reports list and a definition's page in-process: versions, owners and sources; the
definition's source, next runs, triggers and routes; the run form (typed inputs with defaults, a run
claimed and shown, a bad parameter refused with nothing started); versions; downloads of every
format with their checksum; strict ids; roles (admin and report manager in, auditor out); a server
with no backend."""

# ruff: noqa: F811 (the report_backend fixture is imported from reports_support)
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import insert

from sync_server.reports.tables import report_runs
from tests.support.console import csrf_of
from tests.unit.sync_server.console.reports_support import (  # noqa: F401 (report_backend is a fixture)
    SQL_REPORT,
    add_folder_destination,
    report_backend,
    run_report,
    save_report,
)


def _run_now(client, definition_id: str = "rejections", **fields):
    csrf = csrf_of(client.get("/console/reports").text)
    return client.post(
        f"/console/reports/{definition_id}/run", data={"csrf": csrf, **fields}, follow_redirects=False
    )


def _add_run(parts, *, status: str, error: str | None = None) -> int:
    with parts.reports.engine.begin() as conn:
        return conn.execute(
            insert(report_runs).values(
                definition_id="rejections",
                definition_version=1,
                run_key=f"rejections@test-{status}",
                trigger="schedule",
                instance="test",
                started_at=dt.datetime(2024, 5, 1, 6, 0, tzinfo=dt.UTC),
                ended_at=None if status == "running" else dt.datetime(2024, 5, 1, 6, 1, tzinfo=dt.UTC),
                status=status,
                error=error,
            )
        ).inserted_primary_key[0]


def test_the_list_shows_every_definition_with_its_version_owner_and_source(signed_in, report_backend):
    client = signed_in(["admin"])
    page = client.get("/console/reports")
    assert page.status_code == 200
    for definition in report_backend.reports.definitions.list():
        assert f'action="/console/reports/{definition.id}/run"' in page.text
        assert f'href="/console/reports/{definition.id}/edit"' in page.text
    assert "Rejection reasons" in page.text and "Built-in function" in page.text and ">system<" in page.text
    assert 'href="/console/reports/new"' in page.text and "New report" in page.text
    for setup in ("connectors", "destinations", "mappings"):
        assert f'href="/console/reports/{setup}"' in page.text
    assert "Never run" in page.text and "data-refresh" not in page.text
    assert page.text.count("UTC</time>") >= 5  # every built-in report has a schedule

    french = client.get("/console/reports?lang=fra").text
    assert "Nouveau rapport" in french and "Fonction intégrée" in french
    arabic = client.get("/console/reports?lang=ara").text
    assert '<html lang="ar" dir="rtl">' in arabic and "تقرير جديد" in arabic


def test_a_definitions_page_shows_its_source_next_runs_triggers_and_routes(signed_in, report_backend):
    add_folder_destination(report_backend)
    spec = SQL_REPORT | {
        "schedule": {"cron": "30 7 * * *", "timezone": "Europe/Paris", "business_days": "skip"},
        "triggers": {
            "file": {"folder": "drop", "pattern": "*.csv"},
            "webhook": True,
            "after": ["rejections"],
        },
        "routes": [{"destination": "archive", "statuses": ["succeeded"], "weekdays": [0, 4]}],
    }
    save_report(report_backend, "per-center", spec)
    page = signed_in(["admin"]).get("/console/reports/per-center")
    assert page.status_code == 200
    text = page.text
    assert "How many packets each center sent." in text and "SQL query" in text
    assert "<pre" in text and "GROUP BY center_id HAVING count(*) &gt;= :minimum" in text
    assert "<code>server</code>" in text
    assert text.count("UTC</time></td>") == 5 and ("CET" in text or "CEST" in text)
    assert "Skip weekends and holidays" in text
    assert "<code>drop/*.csv</code>" in text and "/api/v1/reports/hooks/per-center" in text
    assert 'href="/console/reports/rejections"' in text
    assert "<code>archive</code>" in text and "Monday, Friday" in text
    assert 'href="/console/reports/per-center/versions"' in text and "?as=json" in text


def test_the_run_form_has_one_typed_input_per_parameter_with_its_default(signed_in, report_backend):
    spec = SQL_REPORT | {
        "parameters": [
            {"name": "minimum", "type": "integer", "default": 3},
            {"name": "since", "type": "date", "required": True},
            {"name": "ratio", "type": "number", "default": 0.5},
            {"name": "strict", "type": "boolean", "default": True},
            {"name": "label", "type": "string"},
        ]
    }
    save_report(report_backend, "typed", spec)
    text = signed_in(["admin"]).get("/console/reports/typed").text
    assert 'name="param_minimum" type="number" step="1" value="3"' in text
    assert 'name="param_since" type="date" value="" required' in text
    assert 'name="param_ratio" type="number" step="any" value="0.5"' in text
    assert 'type="checkbox" id="run-param_strict" name="param_strict" value="true" checked' in text
    assert 'name="param_label" type="text" value=""' in text


def test_the_run_form_claims_a_run_and_shows_its_details(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT)
    client = signed_in(["admin"])
    response = _run_now(client, "per-center", param_minimum="2")
    assert response.status_code == 303
    run = report_backend.reports.runs("per-center")[0]
    assert response.headers["location"] == f"/console/reports/runs/{run['id']}"
    assert run["parameters"] == {"minimum": "2"} and run["trigger"] == "manual"
    assert run["status"] == "succeeded", run["error"]
    page = client.get("/console/reports/per-center")
    assert f'id="run-{run["id"]}" data-status="succeeded"' in page.text and "Run by hand" in page.text


def test_a_bad_parameter_is_shown_on_the_form_and_starts_nothing(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT)
    client = signed_in(["admin"])
    response = _run_now(client, "per-center", param_minimum="many")
    assert response.status_code == 422
    assert "The run did not start" in response.text and "must be a whole number" in response.text
    assert 'value="many"' in response.text  # what was typed stays in the form
    assert report_backend.reports.runs("per-center") == []
    arabic = client.post(
        "/console/reports/per-center/run?lang=ara",
        data={"csrf": csrf_of(response.text), "param_minimum": "x"},
    )
    assert arabic.status_code == 422 and "لم يبدأ التشغيل" in arabic.text


def test_run_now_from_the_list_runs_with_the_defaults(signed_in, report_backend):
    response = _run_now(signed_in(["admin"]))
    assert response.status_code == 303
    runs = report_backend.reports.runs("rejections")
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    assert response.headers["location"] == f"/console/reports/runs/{runs[0]['id']}"


def test_versions_list_their_author_and_show_a_versions_spec(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT, actor="alice")
    save_report(report_backend, "per-center", SQL_REPORT | {"title": "Per center, v2"}, actor="bob")
    client = signed_in(["admin"])
    page = client.get("/console/reports/per-center/versions")
    assert page.status_code == 200
    assert ">alice<" in page.text and ">bob<" in page.text and "current" in page.text
    assert 'href="/console/reports/per-center/versions/1"' in page.text
    first = client.get("/console/reports/per-center/versions/1")
    assert first.status_code == 200 and 'id="spec-json"' in first.text
    assert "&#34;title&#34;: &#34;Packets per center&#34;" in first.text
    assert client.get("/console/reports/per-center/versions/9").status_code == 404
    assert client.get("/console/reports/per-center/versions/0").status_code == 422


def test_a_running_run_refreshes_and_a_failed_one_shows_its_error(signed_in, report_backend):
    client = signed_in(["admin"])
    failed = _add_run(report_backend, status="failed", error="RuntimeError: the queue is unreachable")
    running = _add_run(report_backend, status="running")
    page = client.get("/console/reports/rejections")
    assert 'id="runs" data-refresh="5"' in page.text
    assert f'id="run-{running}" data-status="running"' in page.text
    assert f'id="run-{failed}" data-status="failed"' in page.text
    assert "RuntimeError: the queue is unreachable" in page.text and "Scheduled" in page.text
    assert "2024-05-01 06:00:00 UTC" in page.text
    assert 'id="report-list" data-refresh="5"' in client.get("/console/reports").text


def test_the_runs_table_pages_through_older_runs(signed_in, report_backend):
    for _ in range(26):
        report_backend.reports.claim("rejections")
    client = signed_in(["admin"])
    first = client.get("/console/reports/rejections")
    assert first.text.count('data-status="running"') == 25 and 'href="?page=2"' in first.text
    second = client.get("/console/reports/rejections?page=2")
    assert second.text.count('data-status="running"') == 1 and 'href="?page=1"' in second.text


def test_artifacts_download_with_their_type_name_and_checksum(signed_in, report_backend):
    client = signed_in(["admin"])
    save_report(report_backend, "every-format", SQL_REPORT | {"formats": ["csv", "json", "xml", "pdf"]})
    run_id = run_report(report_backend, "every-format")
    artifacts = {a["format"]: a for a in report_backend.reports.artifacts(run_id)}
    csv = client.get(f"/console/reports/runs/{run_id}/artifacts/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    name = artifacts["csv"]["path"].rsplit("/", 1)[-1]
    assert csv.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert (
        csv.headers["x-checksum-sha256"]
        == hashlib.sha256(csv.content).hexdigest()
        == artifacts["csv"]["sha256"]
    )
    assert csv.text.splitlines()[0] == "center_id,n"
    for fmt, media in (
        ("json", "application/json"),
        ("xml", "application/xml"),
        ("meta", "application/json"),
    ):
        response = client.get(f"/console/reports/runs/{run_id}/artifacts/{fmt}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media), fmt
    pdf = client.get(f"/console/reports/runs/{run_id}/artifacts/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    checksum = client.get(f"/console/reports/runs/{run_id}/artifacts/pdf.sha256")
    assert checksum.headers["content-type"].startswith("text/plain")
    assert checksum.text.split()[0] == hashlib.sha256(pdf.content).hexdigest()


def test_bad_ids_and_names_are_refused(signed_in, report_backend):
    client = signed_in(["admin"])
    run_id = run_report(report_backend, "rejections")
    assert client.get("/console/reports/nope").status_code == 404
    assert "does not exist" in client.get("/console/reports/nope").text
    assert _run_now(client, "nope").status_code == 404
    assert client.get("/console/reports/bad%20id").status_code == 422
    assert client.get("/console/reports/new").status_code == 200  # the editor, never a definition
    for path in (
        f"/console/reports/runs/{run_id + 1}/artifacts/csv",  # no such run
        f"/console/reports/runs/{run_id}/artifacts/xlsx",  # no such format in this run
        f"/console/reports/runs/{run_id}/artifacts/..%2Fcsv",  # no route takes a slash in a name
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/console/reports/runs/0/artifacts/csv",
        f"/console/reports/runs/{2**31}/artifacts/csv",
        "/console/reports/runs/x/artifacts/csv",
        f"/console/reports/runs/{run_id}/artifacts/csv.md5",
        f"/console/reports/runs/{run_id}/artifacts/CSV",
    ):
        assert client.get(path).status_code == 422, path


def test_a_deleted_artifact_file_is_404_not_an_error(signed_in, report_backend):
    client = signed_in(["admin"])
    run_id = run_report(report_backend, "rejections")
    csv = next(a for a in report_backend.reports.artifacts(run_id) if a["format"] == "csv")
    Path(csv["path"]).unlink()
    assert client.get(f"/console/reports/runs/{run_id}/artifacts/csv").status_code == 404


def test_report_managers_may_use_the_pages_and_auditors_may_not(signed_in, report_backend):
    manager = signed_in(["report_manager"])
    assert manager.get("/console/reports").status_code == 200
    assert _run_now(manager).status_code == 303
    run_id = report_backend.reports.runs("rejections")[0]["id"]
    for path in (
        "/console/reports/rejections",
        "/console/reports/rejections/versions",
        f"/console/reports/runs/{run_id}",
    ):
        assert manager.get(path).status_code == 200, path

    auditor = signed_in(["auditor"])
    csrf = csrf_of(auditor.get("/console/").text)
    for path in (
        "/console/reports",
        "/console/reports/rejections",
        "/console/reports/rejections/versions",
        "/console/reports/rejections/versions/1",
        f"/console/reports/runs/{run_id}",
        f"/console/reports/runs/{run_id}/artifacts/json",
    ):
        assert auditor.get(path).status_code == 403, path
    assert auditor.post("/console/reports/rejections/run", data={"csrf": csrf}).status_code == 403
    assert len(report_backend.reports.runs("rejections")) == 1


def test_signed_out_visitors_go_to_sign_in(console_client, report_backend):
    for path in ("/console/reports/rejections", "/console/reports/runs/1/artifacts/csv"):
        response = console_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"


def test_a_server_without_a_backend_says_why(signed_in, console_state):
    assert console_state.backend is None
    client = signed_in(["admin"])
    for path in (
        "/console/reports",
        "/console/reports/rejections",
        "/console/reports/rejections/versions",
        "/console/reports/runs/1",
        "/console/reports/runs/1/artifacts/csv",
    ):
        page = client.get(path)
        assert page.status_code == 200 and "--workers 0" in page.text, path

"""A report run's details page in-process: facts, timeline, validation results, deliveries, files;
the live log (a running run's page points console.js at the SSE route; the route streams the events
after a given id and ends with the status); run again (same or new parameters, a bad one refused);
deliver again (all routes or one, refused while running); roles and languages."""

# ruff: noqa: F811 (the report_backend fixture is imported from reports_support)
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from sync_server.reports.runlog import RunLog, run_events
from sync_server.reports.tables import report_runs
from tests.support.console import csrf_of
from tests.unit.sync_server.console.reports_support import (  # noqa: F401 (report_backend is a fixture)
    SQL_REPORT,
    add_folder_destination,
    report_backend,
    run_report,
    save_report,
)


def _routed(parts) -> None:
    """``per-center`` with a route to a folder destination, and a warning rule that fails."""
    add_folder_destination(parts)
    spec = SQL_REPORT | {
        "validations": [
            {"kind": "rule", "name": "positive", "expression": "n >= 0"},
            {
                "kind": "sql",
                "name": "has packets",
                "query": "SELECT count(*) FROM packets",
                "expect": "count",
                "min": 1,
                "severity": "warning",
            },
        ],
        "routes": [{"destination": "archive", "statuses": ["succeeded", "warning"]}],
    }
    save_report(parts, "per-center", spec)


def _running(parts) -> int:
    with parts.reports.engine.begin() as conn:
        run_id = conn.execute(
            insert(report_runs).values(
                definition_id="rejections",
                definition_version=1,
                run_key="rejections@test-running",
                trigger="schedule",
                instance="test",
                started_at=dt.datetime(2024, 5, 1, 6, 0, tzinfo=dt.UTC),
                status="running",
            )
        ).inserted_primary_key[0]
    RunLog(parts.reports.engine, run_id).event("query", "start", "version 1; parameters: none")
    return run_id


def test_a_finished_run_shows_its_facts_timeline_checks_deliveries_and_files(signed_in, report_backend):
    _routed(report_backend)
    run_id = run_report(report_backend, "per-center", parameters={"minimum": 0})
    page = signed_in(["admin"]).get(f"/console/reports/runs/{run_id}")
    assert page.status_code == 200
    text = page.text
    assert 'id="run-status" data-status="warning"' in text and "Finished with warnings" in text
    assert 'href="/console/reports/per-center/versions/1"' in text and "Version 1" in text
    assert "<dd>Run by hand</dd>" in text and "<code>minimum = 0</code>" in text
    assert (
        'class="event level-start"' in text
        and "Query" in text
        and "version 1; parameters: minimum = 0" in text
    )
    assert "data-events" not in text  # a finished run has nothing to follow
    assert ">positive<" in text and ">has packets<" in text and "Not passed" in text and "Passed" in text
    outbox = str(report_backend.reports.out_dir / "outbox" / "archive")
    assert "<code>archive</code>" in text and "Delivered" in text and outbox in text
    assert 'name="destination" value="archive"' in text and "Deliver again on every route" in text
    for artifact in report_backend.reports.artifacts(run_id):
        assert artifact["sha256"] in text
        assert f'href="/console/reports/runs/{run_id}/artifacts/{artifact["format"]}"' in text
    assert "Run facts (JSON)" in text
    assert 'name="param_minimum" type="number" step="1" value="0"' in text  # run again with these


def test_the_run_page_in_french_and_arabic(signed_in, report_backend):
    run_id = run_report(report_backend, "rejections")
    client = signed_in(["admin"])
    french = client.get(f"/console/reports/runs/{run_id}?lang=fra")
    assert french.status_code == 200 and "Déroulement" in french.text and "Relancer" in french.text
    arabic = client.get(f"/console/reports/runs/{run_id}?lang=ara")
    assert '<html lang="ar" dir="rtl">' in arabic.text and "المسار الزمني" in arabic.text


def test_a_running_runs_page_follows_its_live_log(signed_in, report_backend):
    run_id = _running(report_backend)
    event_id = _last_event(report_backend, run_id)
    text = signed_in(["admin"]).get(f"/console/reports/runs/{run_id}").text
    assert f'data-events="/console/reports/runs/{run_id}/events/stream?after={event_id}"' in text
    assert "data-labels=" in text and "&#34;stage:query&#34;: &#34;Query&#34;" in text
    assert f'href="/console/reports/runs/{run_id}">Refresh</a>' in text
    assert "Deliver again" not in text


def _last_event(parts, run_id: int) -> int:
    return run_events(parts.reports.engine, run_id)[-1]["id"]


def test_the_event_stream_sends_the_log_after_an_id_then_the_end(signed_in, report_backend):
    run_id = run_report(report_backend, "rejections")
    client = signed_in(["admin"])
    url = f"/console/reports/runs/{run_id}/events/stream"
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert (
        response.text.count("event: log") >= 3
        and 'event: end\ndata: {"status": "succeeded"}' in response.text
    )
    first = _first_event(report_backend, run_id)
    later = client.get(f"{url}?after={first}")
    assert later.text.count("event: log") == response.text.count("event: log") - 1
    resumed = client.get(url, headers={"Last-Event-ID": str(first)})
    assert resumed.text.count("event: log") == later.text.count("event: log")
    assert client.get(f"/console/reports/runs/{run_id + 1}/events/stream").status_code == 404
    assert signed_in(["auditor"]).get(url).status_code == 403


def _first_event(parts, run_id: int) -> int:
    return run_events(parts.reports.engine, run_id)[0]["id"]


def test_run_again_with_the_same_parameters(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT)
    old = run_report(report_backend, "per-center", parameters={"minimum": "2"})
    client = signed_in(["admin"])
    page = client.get(f"/console/reports/runs/{old}")
    response = client.post(
        f"/console/reports/runs/{old}/rerun", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    new = report_backend.reports.runs("per-center")[0]
    assert response.headers["location"] == f"/console/reports/runs/{new['id']}?done=started"
    assert (new["trigger"], new["parent_run_id"], new["parameters"]) == ("rerun", old, {"minimum": "2"})
    shown = client.get(response.headers["location"]).text
    assert "The run has started" in shown and f'href="/console/reports/runs/{old}">after run {old}' in shown


def test_run_again_with_new_parameters_and_a_bad_one_refused(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT)
    old = run_report(report_backend, "per-center")
    client = signed_in(["admin"])
    csrf = csrf_of(client.get(f"/console/reports/runs/{old}").text)
    url = f"/console/reports/runs/{old}/rerun"
    response = client.post(
        url, data={"csrf": csrf, "with_parameters": "1", "param_minimum": "5"}, follow_redirects=False
    )
    assert response.status_code == 303 and report_backend.reports.runs("per-center")[0]["parameters"] == {
        "minimum": "5"
    }
    refused = client.post(url, data={"csrf": csrf, "with_parameters": "1", "param_minimum": "five"})
    assert (
        refused.status_code == 422
        and "must be a whole number" in refused.text
        and 'value="five"' in refused.text
    )
    assert len(report_backend.reports.runs("per-center")) == 2


def test_deliver_again_to_every_route_or_one_destination(signed_in, report_backend):
    _routed(report_backend)
    run_id = run_report(report_backend, "per-center")
    client = signed_in(["admin"])
    csrf = csrf_of(client.get(f"/console/reports/runs/{run_id}").text)
    url = f"/console/reports/runs/{run_id}/deliver"
    response = client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?done=delivering")
    one = client.post(url, data={"csrf": csrf, "destination": "archive"}, follow_redirects=False)
    assert one.status_code == 303
    page = client.get(one.headers["location"]).text
    assert "Delivery has started" in page and page.count("<td><code>archive</code></td>") == 3
    assert "delivery again, asked by" in page
    unknown = client.post(url, data={"csrf": csrf, "destination": "elsewhere"})
    assert unknown.status_code == 409 and "no route to that destination" in unknown.text
    assert client.post(url, data={"csrf": "forged"}).status_code == 403


def test_a_running_run_is_not_delivered_again(signed_in, report_backend):
    run_id = _running(report_backend)
    client = signed_in(["admin"])
    csrf = csrf_of(client.get(f"/console/reports/runs/{run_id}").text)
    response = client.post(f"/console/reports/runs/{run_id}/deliver", data={"csrf": csrf})
    assert response.status_code == 409 and "still going" in response.text


def test_run_pages_need_a_report_role_and_a_known_run(signed_in, report_backend, console_client):
    run_id = run_report(report_backend, "rejections")
    manager = signed_in(["report_manager"])
    assert manager.get(f"/console/reports/runs/{run_id}").status_code == 200
    assert manager.get(f"/console/reports/runs/{run_id + 1}").status_code == 404
    assert manager.get("/console/reports/runs/0").status_code == 422
    auditor = signed_in(["auditor"])
    csrf = csrf_of(auditor.get("/console/").text)
    assert auditor.get(f"/console/reports/runs/{run_id}").status_code == 403
    for action in ("rerun", "deliver"):
        assert (
            auditor.post(f"/console/reports/runs/{run_id}/{action}", data={"csrf": csrf}).status_code == 403
        )
    assert len(report_backend.reports.runs("rejections")) == 1
    response = console_client.get(f"/console/reports/runs/{run_id}/events/stream", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"

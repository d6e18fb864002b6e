"""The report editor in-process: the form in three languages, a report created from the form (every
section), edited to a new version, saved unchanged; an invalid spec (problems shown, input kept,
nothing saved), a stale version (conflict explained), an id taken or malformed; the JSON editor;
"add rows"; what the form does not edit survives a form save; a new webhook key shown once; roles."""

# ruff: noqa: F811 (the report_backend fixture is imported from reports_support)
from __future__ import annotations

import json

from sync_server.console.pages import reports_form
from sync_server.reports.builtin import BUILTIN_DEFINITIONS
from sync_server.reports.spec import ReportSpec
from sync_server.services.audit import list_entries
from tests.support.console import csrf_of
from tests.unit.sync_server.console.reports_support import (  # noqa: F401 (report_backend is a fixture)
    SQL_REPORT,
    add_folder_destination,
    report_backend,
    save_report,
)


def _form(page_text: str, **fields) -> dict:
    """The editor's posted fields: its csrf, mode and version, then ``fields``."""
    version = page_text.split('name="expected_version" value="', 1)[1].split('"', 1)[0]
    return {"csrf": csrf_of(page_text), "mode": "form", "expected_version": version} | fields


NEW_REPORT = {
    "id": "per-center",
    "title": "Packets per center",
    "description": "Counted from the packets table.",
    "active": "1",
    "source_kind": "sql",
    "source_connector": "server",
    "source_query": "SELECT center_id, count(*) AS n FROM packets GROUP BY center_id",
    "p0_name": "minimum",
    "p0_type": "integer",
    "p0_default": "1",
    "p0_required": "1",
    "p1_name": "",
    "p1_type": "string",
    "p1_default": "",
    "m0_column": "center_id",
    "m0_set": "centers",
    "m0_as": "center_name",
    "transform_code": "",
    "v0_kind": "rule",
    "v0_name": "positive",
    "v0_text": "n >= 0",
    "v0_expect": "no_rows",
    "v0_severity": "warning",
    "v1_kind": "sql",
    "v1_name": "few",
    "v1_text": "SELECT count(*) FROM packets",
    "v1_expect": "count",
    "v1_min": "0",
    "v1_max": "1000",
    "v1_severity": "blocking",
    "formats": ["csv", "xml"],
    "xml_root": "centers",
    "xml_row": "center",
    "r0_destination": "archive",
    "r0_statuses": ["succeeded", "warning"],
    "r0_weekdays": ["0", "2"],
    "r1_destination": "",
    "cron": "0 7 * * 1-5",
    "timezone": "Africa/Casablanca",
    "business_days": "next",
    "holiday_country": "ma",
    "file_folder": "drop",
    "file_pattern": "*.csv",
    "watermark_connector": "server",
    "watermark_query": "SELECT max(seq) FROM packets",
    "webhook": "1",
    "after": ["rejections"],
}


def _audited(state) -> list[tuple[str, str | None]]:
    with state.engine.connect() as conn:
        return [(e.action, e.target) for e in list_entries(conn, limit=500)]


def _setup(parts) -> None:
    parts.report_mappings.save_set("centers", title="Center names", actor="t")
    add_folder_destination(parts)


def test_the_new_report_form_in_three_languages(signed_in, report_backend):
    client = signed_in(["admin"])
    for lang, words in (("eng", "New report"), ("fra", "Nouveau rapport"), ("ara", "تقرير جديد")):
        page = client.get(f"/console/reports/new?lang={lang}")
        assert page.status_code == 200 and words in page.text, lang
        assert 'name="id"' in page.text and 'name="source_query"' in page.text
        assert 'name="p1_name"' in page.text and 'name="p2_name"' not in page.text  # two empty rows
        assert 'name="r0_destination"' in page.text and 'name="after"' in page.text
        assert "reports." not in page.text.split("<main", 1)[1]  # no key shown instead of a word
    json_page = client.get("/console/reports/new?as=json")
    assert json_page.status_code == 200 and 'name="spec_json"' in json_page.text


def test_a_report_is_created_from_the_form(signed_in, report_backend, console_state):
    _setup(report_backend)
    client = signed_in(["admin"])
    page = client.get("/console/reports/new")
    response = client.post(
        "/console/reports/new", data=_form(page.text, **NEW_REPORT), follow_redirects=False
    )
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["location"] == "/console/reports/per-center?saved=1"
    definition = report_backend.reports.definitions.get("per-center")
    assert definition.owner == client.username and definition.version == 1
    spec = definition.spec
    assert spec.source.query.startswith("SELECT center_id") and spec.source.connector == "server"
    assert [(p.name, p.type, p.default, p.required) for p in spec.parameters] == [
        ("minimum", "integer", 1, True)
    ]
    assert [(m.column, m.set, m.as_column) for m in spec.mappings] == [
        ("center_id", "centers", "center_name")
    ]
    assert spec.transform is None
    rule, check = spec.validations
    assert (rule.kind, rule.expression, rule.severity) == ("rule", "n >= 0", "warning")
    assert (check.kind, check.expect, check.min, check.max) == ("sql", "count", 0, 1000)
    assert spec.formats == ["csv", "xml"] and (spec.xml.root, spec.xml.row) == ("centers", "center")
    assert [(r.destination, r.statuses, r.weekdays) for r in spec.routes] == [
        ("archive", ["succeeded", "warning"], [0, 2])
    ]
    schedule = spec.schedule
    assert (schedule.cron, schedule.timezone, schedule.business_days, schedule.holiday_country) == (
        "0 7 * * 1-5",
        "Africa/Casablanca",
        "next",
        "MA",
    )
    triggers = spec.triggers
    assert (triggers.file.folder, triggers.file.pattern) == ("drop", "*.csv")
    assert triggers.watermark.query == "SELECT max(seq) FROM packets" and triggers.webhook
    assert triggers.after == ["rejections"]
    assert console_state.backend.changes == [1]  # the scheduler re-reads its jobs
    shown = client.get(response.headers["location"])
    assert "Saved as version 1." in shown.text
    assert ("reports.definition.save", "per-center") in _audited(console_state)


def test_the_editor_shows_a_saved_report_and_saves_a_change_as_a_new_version(signed_in, report_backend):
    _setup(report_backend)
    client = signed_in(["admin"])
    client.post("/console/reports/new", data=_form(client.get("/console/reports/new").text, **NEW_REPORT))
    page = client.get("/console/reports/per-center/edit")
    assert page.status_code == 200
    text = page.text
    assert 'value="Packets per center"' in text and "GROUP BY center_id</textarea>" in text
    assert 'name="p0_name" value="minimum"' in text and 'name="p0_required" value="1" checked' in text
    assert '<option value="centers" selected>Center names (centers)</option>' in text
    assert 'id="r0_weekdays-2" name="r0_weekdays" value="2" checked' in text
    assert '<option value="next" selected>' in text and 'name="expected_version" value="1"' in text
    assert 'form="webhook-key-form"' in text

    unchanged = client.post(
        "/console/reports/per-center/edit", data=_form(text, **NEW_REPORT), follow_redirects=False
    )
    assert unchanged.headers["location"] == "/console/reports/per-center?saved=1&unchanged=1"
    assert "Nothing changed" in client.get(unchanged.headers["location"]).text

    changed = NEW_REPORT | {"title": "Packets per center, weekly", "cron": "0 7 * * 1"}
    response = client.post(
        "/console/reports/per-center/edit", data=_form(text, **changed), follow_redirects=False
    )
    assert response.headers["location"] == "/console/reports/per-center?saved=2"
    definition = report_backend.reports.definitions.get("per-center")
    assert definition.version == 2 and definition.spec.schedule.cron == "0 7 * * 1"


def test_an_invalid_report_shows_its_problems_keeps_the_input_and_saves_nothing(signed_in, report_backend):
    _setup(report_backend)
    client = signed_in(["admin"])
    page = client.get("/console/reports/new")
    bad = NEW_REPORT | {"cron": "every day", "p0_default": "one", "title": "Kept title"}
    response = client.post("/console/reports/new", data=_form(page.text, **bad))
    assert response.status_code == 422
    assert (
        "The report was not saved" in response.text
        and "parameters.0.default: must be a whole number" in response.text
    )
    assert 'value="Kept title"' in response.text and 'value="every day"' in response.text
    bad = NEW_REPORT | {"cron": "every day"}
    response = client.post("/console/reports/new", data=_form(page.text, **bad))
    assert (
        response.status_code == 422
        and "schedule.cron" in response.text
        and "cron needs five fields" in response.text
    )
    unknown = NEW_REPORT | {"m0_set": "nope", "r0_destination": "elsewhere"}
    response = client.post("/console/reports/new", data=_form(page.text, **unknown))
    assert response.status_code == 422
    assert (
        "no mapping set &#39;nope&#39;" in response.text
        and "no destination &#39;elsewhere&#39;" in response.text
    )
    assert '<option value="nope" selected>nope (missing)</option>' in response.text
    french = client.post(
        "/console/reports/new?lang=fra", data=_form(page.text, **(NEW_REPORT | {"title": ""}))
    )
    assert french.status_code == 422 and "Le rapport n&#39;a pas été enregistré" in french.text
    assert "per-center" not in {d.id for d in report_backend.reports.definitions.list()}


def test_a_stale_version_is_refused_and_explained(signed_in, report_backend):
    save_report(report_backend, "per-center", SQL_REPORT)
    client = signed_in(["admin"])
    page = client.get("/console/reports/per-center/edit")
    save_report(report_backend, "per-center", SQL_REPORT | {"title": "Someone else's"}, actor="other")
    mine = reports_form.values_from_spec(SQL_REPORT | {"title": "Mine"})
    fields = {k: v for k, v in mine.items() if not isinstance(v, list | bool)}
    fields |= {"p0_name": "minimum", "p0_type": "integer", "p0_default": "0", "formats": ["csv"]}
    response = client.post("/console/reports/per-center/edit", data=_form(page.text, **fields))
    assert response.status_code == 409
    assert "Someone saved a newer version" in response.text and "editing version 1" in response.text
    assert 'href="/console/reports/per-center/edit">Reload the report' in response.text
    assert 'value="Mine"' in response.text
    definition = report_backend.reports.definitions.get("per-center")
    assert definition.version == 2 and definition.title == "Someone else's"


def test_a_new_report_needs_a_free_well_formed_id(signed_in, report_backend):
    _setup(report_backend)
    client = signed_in(["admin"])
    page = client.get("/console/reports/new")
    taken = client.post("/console/reports/new", data=_form(page.text, **(NEW_REPORT | {"id": "rejections"})))
    assert taken.status_code == 409 and "exists already" in taken.text
    assert report_backend.reports.definitions.get("rejections").version == 1
    for bad in ("new", "runs", "connectors", "bad id", ""):
        response = client.post("/console/reports/new", data=_form(page.text, **(NEW_REPORT | {"id": bad})))
        assert response.status_code == 422 and "The identifier must be" in response.text, bad


def test_the_json_editor_saves_the_whole_spec_and_names_its_problems(signed_in, report_backend):
    client = signed_in(["admin"])
    page = client.get("/console/reports/rejections/edit?as=json")
    assert page.status_code == 200 and "&#34;function&#34;: &#34;rejection_reasons&#34;" in page.text
    spec = BUILTIN_DEFINITIONS["rejections"].model_dump(mode="json") | {"description": "Edited as JSON."}
    fields = _form(page.text, mode="json", spec_json=json.dumps(spec))
    response = client.post("/console/reports/rejections/edit", data=fields, follow_redirects=False)
    assert response.headers["location"] == "/console/reports/rejections?saved=2"
    assert report_backend.reports.definitions.get("rejections").spec.description == "Edited as JSON."

    page = client.get("/console/reports/rejections/edit?as=json")
    broken = client.post(
        "/console/reports/rejections/edit", data=_form(page.text, mode="json", spec_json="{oops")
    )
    assert broken.status_code == 422 and "The JSON cannot be read (line 1, column 2)" in broken.text
    assert "{oops</textarea>" in broken.text
    unknown = spec | {"source": {"kind": "sql", "connector": "elsewhere", "query": "SELECT 1"}}
    refused = client.post(
        "/console/reports/rejections/edit", data=_form(page.text, mode="json", spec_json=json.dumps(unknown))
    )
    assert refused.status_code == 422 and "no connector &#39;elsewhere&#39;" in refused.text
    assert report_backend.reports.definitions.get("rejections").version == 2


def test_add_rows_shows_more_empty_rows_and_saves_nothing(signed_in, report_backend):
    client = signed_in(["admin"])
    page = client.get("/console/reports/new")
    fields = _form(
        page.text, id="more", title="More", source_kind="input", p0_name="", p1_name="", action="more"
    )
    response = client.post("/console/reports/new", data=fields)
    assert (
        response.status_code == 200 and 'name="p3_name"' in response.text and 'value="More"' in response.text
    )
    assert "more" not in {d.id for d in report_backend.reports.definitions.list()}


def test_what_the_form_does_not_edit_survives_a_form_save(signed_in, report_backend):
    _setup(report_backend)
    spec = SQL_REPORT | {
        "parameters": [
            {"name": "center", "type": "string", "default": "10001"},
            {"name": "center_name", "lookup": {"set": "centers", "key_parameter": "center"}},
        ],
        "routes": [{"destination": "archive", "min_bytes": 10, "formats": ["csv", "meta"]}],
        "schedule": {"cron": "0 6 * * *", "weekend": [4, 5]},
        "validations": [{"kind": "sql", "name": "none", "connector": "server", "query": "SELECT 1 WHERE 0"}],
        "transform": {"code": "def transform(rows, params, lookup):\n    yield from rows\n", "cpu_s": 5},
    }
    save_report(report_backend, "kept", spec)
    before = report_backend.reports.definitions.get("kept").spec
    client = signed_in(["admin"])
    page = client.get("/console/reports/kept/edit")
    form = reports_form.values_from_spec(before.model_dump(mode="json"))
    fields = _flatten(form) | {"title": "Kept, renamed"}
    response = client.post(
        "/console/reports/kept/edit", data=_form(page.text, **fields), follow_redirects=False
    )
    assert response.status_code == 303, response.text[:2000]
    after = report_backend.reports.definitions.get("kept").spec
    assert after.model_dump() == before.model_copy(update={"title": "Kept, renamed"}).model_dump()


def _flatten(values: dict) -> dict:
    """The fields a browser would post for ``values`` (reports_form's names)."""
    fields = {}
    for key, value in values.items():
        if key in reports_form.ROW_FIELDS:
            prefix, names = reports_form.ROW_FIELDS[key]
            for i, row in enumerate(value):
                for name in names:
                    if isinstance(row[name], bool):
                        if row[name]:
                            fields[f"{prefix}{i}_{name}"] = "1"
                    else:
                        fields[f"{prefix}{i}_{name}"] = row[name]
        elif isinstance(value, bool):
            if value:
                fields[key] = "1"
        else:
            fields[key] = value
    return fields


def test_form_values_turn_back_into_the_same_spec():
    for spec in BUILTIN_DEFINITIONS.values():
        data = spec.model_dump(mode="json")
        again = reports_form.spec_from_values(reports_form.values_from_spec(data))
        assert ReportSpec.model_validate(again) == spec


def test_a_new_webhook_key_is_shown_once_and_stored(signed_in, report_backend, console_state):
    client = signed_in(["admin"])
    page = client.get("/console/reports/rejections/edit")
    response = client.post("/console/reports/rejections/webhook-key", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    key = response.text.split('id="webhook-key" class="secret">', 1)[1].split("<", 1)[0]
    assert len(key) >= 40 and report_backend.report_secrets.get("webhook:rejections") == key
    assert "/api/v1/reports/hooks/rejections" in response.text
    assert "Webhook calls are turned off" in response.text  # the built-in report takes no webhook calls
    assert ("reports.webhook_key", "rejections") in _audited(console_state)
    forged = client.post("/console/reports/rejections/webhook-key", data={"csrf": "forged"})
    assert forged.status_code == 403 and report_backend.report_secrets.get("webhook:rejections") == key


def test_only_report_roles_reach_the_editor(signed_in, report_backend):
    manager = signed_in(["report_manager"])
    assert manager.get("/console/reports/new").status_code == 200
    assert manager.get("/console/reports/rejections/edit").status_code == 200
    auditor = signed_in(["center_admin"])
    csrf = csrf_of(auditor.get("/console/").text)
    for path in ("/console/reports/new", "/console/reports/rejections/edit"):
        assert auditor.get(path).status_code == 403, path
    for path in (
        "/console/reports/new",
        "/console/reports/rejections/edit",
        "/console/reports/rejections/webhook-key",
    ):
        assert auditor.post(path, data={"csrf": csrf, **NEW_REPORT}).status_code == 403, path
    assert report_backend.report_secrets.get("webhook:rejections") is None

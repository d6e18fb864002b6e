"""The mapping set pages of the reports portal in-process: create a set, its entries paged and found by
key, add / edit / delete an entry with effective dates (overlaps and bad dates refused next to the
form), CSV import (merge, replace, every bad row listed by line and nothing changed, a file over the
ordinary 1 MB body limit), CSV export, set settings and deletion, roles and unknown sets."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from sync_server.report_parts import build_report_parts
from tests.support.console import csrf_of

BASE = "/console/reports/mappings"
IMPORT = "/console/reports/mapping-import"


@pytest.fixture
def parts(console_state):
    built = build_report_parts(console_state.engine, console_state.settings.data_dir)
    console_state.backend = SimpleNamespace(report_parts=built)
    yield built
    console_state.backend = None
    built.dispose()


@pytest.fixture
def admin(signed_in):
    return signed_in(["admin"])


def _csrf(client) -> str:
    return csrf_of(client.get(BASE).text)


def _post(client, url: str, data: dict | None = None):
    return client.post(url, data={"csrf": _csrf(client), **(data or {})}, follow_redirects=False)


def _import(client, set_id: str, content: bytes, mode: str = "merge"):
    return client.post(
        IMPORT,
        data={"csrf": _csrf(client), "set_id": set_id, "mode": mode},
        files={"file": ("centers.csv", content, "text/csv")},
        follow_redirects=False,
    )


@pytest.fixture
def centers(admin, parts) -> str:
    data = {"id": "centers", "title": "Center codes", "on_missing": "fallback", "fallback": "UNKNOWN"}
    response = _post(admin, f"{BASE}/new", data)
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}/centers?done=created"
    return "centers"


def _text(response) -> str:
    """The page without its tags (an error's reason sits in its own left-to-right span)."""
    return re.sub(r"<[^>]+>", "", response.text)


def _entries(parts, set_id: str = "centers") -> list[tuple]:
    return [
        (e["key"], e["value"], e["effective_from"], e["effective_to"])
        for e in parts.report_mappings.entries(set_id, limit=1000)
    ]


def test_a_new_set_is_listed_with_its_rule_and_count(admin, parts, centers):
    page = admin.get(f"{BASE}/centers?done=created")
    assert "Mapping set created." in page.text and "This set has no entries yet" in page.text
    listing = admin.get(BASE)
    assert 'id="set-centers"' in listing.text and "Use the fallback value" in listing.text
    assert "UNKNOWN" in listing.text
    assert parts.report_mappings.get_set("centers")["updated_by"] == admin.username


def test_entries_are_added_edited_and_deleted_with_their_dates(admin, parts, centers):
    data = {"key": "10001", "value": "Capital", "effective_from": "2024-01-01", "effective_to": ""}
    response = _post(admin, f"{BASE}/centers/entries", data)
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}/centers?done=entry_added"
    page = admin.get(response.headers["location"])
    assert "Entry added." in page.text and "Capital" in page.text and "2024-01-01" in page.text
    entry = parts.report_mappings.entries("centers")[0]

    edit_url = f"{BASE}/centers/entries/{entry['id']}?key=10001"
    assert f'href="{edit_url}"' in page.text
    form = admin.get(edit_url)
    assert form.status_code == 200 and 'value="2024-01-01"' in form.text
    changed = {"original_key": "10001", "key": "10001", "value": "Capital district"}
    changed |= {"effective_from": "2024-01-01", "effective_to": "2024-12-31"}
    assert _post(admin, f"{BASE}/centers/entries/{entry['id']}", changed).status_code == 303
    assert _entries(parts) == [("10001", "Capital district", dt.date(2024, 1, 1), dt.date(2024, 12, 31))]

    # an overlapping second entry is refused; the typed values stay in the add form
    clash = {"key": "10001", "value": "Overlap", "effective_from": "2024-06-01", "effective_to": ""}
    refused = _post(admin, f"{BASE}/centers/entries", clash)
    assert refused.status_code == 422 and "the dates overlap another entry" in refused.text
    assert 'value="Overlap"' in refused.text and 'value="2024-06-01"' in refused.text
    bad = _post(admin, f"{BASE}/centers/entries", clash | {"effective_from": "01/06/2024"})
    assert bad.status_code == 422 and "Enter dates as YYYY-MM-DD" in bad.text
    reversed_range = clash | {"key": "2", "effective_from": "2025-02-01", "effective_to": "2025-01-01"}
    assert "must not come after" in _post(admin, f"{BASE}/centers/entries", reversed_range).text
    assert "Enter a key." in _post(admin, f"{BASE}/centers/entries", clash | {"key": ""}).text

    deleted = _post(admin, f"{BASE}/centers/entries/{entry['id']}/delete")
    assert deleted.status_code == 303 and _entries(parts) == []
    assert _post(admin, f"{BASE}/centers/entries/{entry['id']}/delete").status_code == 404
    assert admin.get(edit_url).status_code == 404


def test_an_import_merges_replaces_and_lists_every_bad_row_without_changing_anything(admin, parts, centers):
    good = b"key,value,effective_from,effective_to\n10001,Capital,,\n10002,North,2024-01-01,\n"
    response = _import(admin, "centers", good)
    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}/centers?done=imported&n=2&d=0"
    assert "Import done: 2 entries added, 0 removed." in admin.get(response.headers["location"]).text

    bad = b"key,value,effective_from,effective_to\n10003,East,,\n,Nameless,,\n10004,West,someday,\n10001,Again,,\n"
    refused = _import(admin, "centers", bad)
    assert refused.status_code == 422
    assert "Nothing was imported: 3 rows are wrong." in refused.text
    for line in (
        "Line 3: the key is empty",
        "Line 4: effective_from",
        "Line 5: key &#39;10001&#39; overlaps",
    ):
        assert line in _text(refused), line
    assert [e[0] for e in _entries(parts)] == ["10001", "10002"]

    header = _import(admin, "centers", b"code;name\nA;B\n")
    assert header.status_code == 422 and "Line 1: the header must be" in _text(header)

    replaced = _import(admin, "centers", b"key,value\n20001,South\n", mode="replace")
    assert replaced.headers["location"].endswith("done=imported&n=1&d=2")
    assert _entries(parts) == [("20001", "South", None, None)]


def test_an_import_may_be_larger_than_the_ordinary_body_limit(admin, parts, centers):
    rows = b"".join(b"K%06d,%s\n" % (i, b"v" * 40) for i in range(30_000))
    content = b"key,value\n" + rows
    assert len(content) > 1024 * 1024
    response = _import(admin, "centers", content)
    assert response.status_code == 303, response.text[:300]
    assert parts.report_mappings.get_set("centers")["entries"] == 30_000


def test_an_import_needs_a_file_and_a_known_set(admin, parts, centers):
    no_file = admin.post(
        IMPORT, data={"csrf": _csrf(admin), "set_id": "centers", "mode": "merge"}, follow_redirects=False
    )
    assert no_file.status_code == 422 and "Choose a CSV file to import." in no_file.text
    assert _import(admin, "nosuch", b"key,value\n").status_code == 404
    assert _import(admin, "../etc", b"key,value\n").status_code == 404


def test_entries_are_paged_and_found_by_key_and_exported(admin, parts, centers):
    rows = "".join(f"K{i:03d},Value {i}\n" for i in range(120))
    assert _import(admin, "centers", f"key,value\n{rows}".encode()).status_code == 303
    first = admin.get(f"{BASE}/centers")
    assert first.text.count('<tr id="entry-') == 50 and "K000" in first.text and "K050" not in first.text
    assert 'href="/console/reports/mappings/centers?page=2"' in first.text
    last = admin.get(f"{BASE}/centers", params={"page": 3})
    assert last.text.count('<tr id="entry-') == 20 and 'rel="next"' not in last.text
    found = admin.get(f"{BASE}/centers", params={"key": "K077"})
    assert found.text.count('<tr id="entry-') == 1 and "Value 77" in found.text
    assert "No entry has this key." in admin.get(f"{BASE}/centers", params={"key": "nope"}).text

    export = admin.get(f"{BASE}/centers/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == 'attachment; filename="centers.csv"'
    lines = export.text.splitlines()
    assert lines[0] == "key,value,effective_from,effective_to" and len(lines) == 121
    assert lines[1] == "K000,Value 0,,"
    assert admin.get(f"{BASE}/nosuch/export").status_code == 404


def test_the_set_settings_are_saved_and_the_set_deleted(admin, parts, centers):
    saved = _post(admin, f"{BASE}/centers", {"title": "Centres", "on_missing": "keep", "fallback": ""})
    assert saved.status_code == 303 and saved.headers["location"] == f"{BASE}/centers?done=saved"
    found = parts.report_mappings.get_set("centers")
    assert (found["title"], found["on_missing"], found["fallback"]) == ("Centres", "keep", None)
    refused = _post(admin, f"{BASE}/centers", {"title": "", "on_missing": "keep"})
    assert refused.status_code == 422 and "Enter a title" in refused.text
    wrong_rule = _post(admin, f"{BASE}/centers", {"title": "Kept title", "on_missing": "guess"})
    assert wrong_rule.status_code == 422 and "on_missing is one of" in wrong_rule.text
    assert 'value="Kept title"' in wrong_rule.text

    deleted = _post(admin, f"{BASE}/centers/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{BASE}?done=deleted"
    assert parts.report_mappings.sets() == []
    assert admin.get(f"{BASE}/centers").status_code == 404
    assert _post(admin, f"{BASE}/centers/delete").status_code == 404


def test_new_set_ids_are_checked(admin, parts, centers):
    for set_id, message in (
        ("new", "reserved word"),
        ("centers", "already in use"),
        ("a b", "may hold only"),
    ):
        response = _post(admin, f"{BASE}/new", {"id": set_id, "title": "T", "on_missing": "fail"})
        assert response.status_code == 422 and message in response.text, set_id
        assert 'value="T"' in response.text


def test_the_set_page_in_french_and_arabic(admin, parts, centers):
    assert "Import et export" in admin.get(f"{BASE}/centers", params={"lang": "fra"}).text
    arabic = admin.get(f"{BASE}/centers", params={"lang": "ara"})
    assert 'dir="rtl"' in arabic.text and "الاستيراد والتصدير" in arabic.text


def test_roles_without_the_reports_page_are_refused(signed_in, parts):
    auditor = signed_in(["auditor"])
    assert auditor.get(BASE).status_code == 403
    csrf = csrf_of(auditor.get("/console/").text)
    response = auditor.post(f"{BASE}/new", data={"csrf": csrf, "id": "x", "title": "x", "on_missing": "fail"})
    assert response.status_code == 403
    refused = auditor.post(
        IMPORT, data={"csrf": csrf, "set_id": "x"}, files={"file": ("a.csv", b"key,value\n", "text/csv")}
    )
    assert refused.status_code == 403 and parts.report_mappings.sets() == []

"""The connectors page of the reports portal in-process: the list with the built-in connector, create /
edit / delete, "Test" (ok and failed), refusals shown next to the form with the input kept, the URL's
password never in any page, roles outside the reports page refused, no backend, the CSRF check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sync_server.report_parts import build_report_parts
from tests.support.console import csrf_of

BASE = "/console/reports/connectors"
PASSWORD = "S3cret-Pass-4711"
URL = f"postgresql://reader:{PASSWORD}@127.0.0.1:1/warehouse"


@pytest.fixture
def parts(console_state):
    """A backend holding only what these pages use: the report parts on the console's database."""
    built = build_report_parts(console_state.engine, console_state.settings.data_dir)
    console_state.backend = SimpleNamespace(report_parts=built)
    yield built
    console_state.backend = None
    built.dispose()


@pytest.fixture
def admin(signed_in):
    return signed_in(["report_manager"])


def _post(client, url: str, data: dict | None = None, page: str = BASE):
    csrf = csrf_of(client.get(page).text)
    return client.post(url, data={"csrf": csrf, **(data or {})}, follow_redirects=False)


def _create(client, connector_id: str, url: str, **extra):
    data = {"id": connector_id, "title": f"Title of {connector_id}", "url": url} | extra
    return _post(client, f"{BASE}/new", data, page=f"{BASE}/new")


def test_the_list_shows_the_builtin_connector_without_an_edit_link(admin, parts):
    page = admin.get(BASE)
    assert page.status_code == 200
    assert 'id="connector-server"' in page.text and "Built-in" in page.text
    assert f'href="{BASE}/server"' not in page.text
    assert f'action="{BASE}/server/test"' in page.text
    assert admin.get(f"{BASE}/server").status_code == 404  # not editable


def test_create_a_sqlite_connector_test_it_and_delete_it(admin, parts, tmp_path):
    database = tmp_path / "warehouse.db"
    database.touch()
    response = _create(admin, "warehouse", f"sqlite:///{database}", timeout_s="5", max_rows="1000")
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}?done=saved"
    page = admin.get(response.headers["location"])
    assert "Connector saved." in page.text and "Title of warehouse" in page.text
    stored = next(c for c in parts.report_connectors.list() if c["id"] == "warehouse")
    assert stored["options"]["timeout_s"] == 5 and stored["options"]["max_rows"] == 1000
    assert stored["updated_by"] == admin.username

    tested = _post(admin, f"{BASE}/warehouse/test")
    assert tested.status_code == 200 and "Connector warehouse works: connected: sqlite" in tested.text

    deleted = _post(admin, f"{BASE}/warehouse/delete", page=f"{BASE}/warehouse")
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{BASE}?done=deleted"
    assert all(c["id"] != "warehouse" for c in parts.report_connectors.list())
    assert _post(admin, f"{BASE}/warehouse/delete").status_code == 404


def test_the_password_of_a_url_never_appears_in_a_page(admin, parts):
    assert _create(admin, "dwh", URL).status_code == 303
    pages = [admin.get(BASE), admin.get(f"{BASE}/dwh")]
    pages.append(_post(admin, f"{BASE}/dwh/test"))  # the database does not answer: the error says so
    assert "Connector dwh failed:" in pages[-1].text
    # a refused edit shows the form again, without the URL that was typed
    pages.append(_post(admin, f"{BASE}/dwh", {"title": "", "url": URL}, page=f"{BASE}/dwh"))
    assert pages[-1].status_code == 422
    for page in pages:
        assert PASSWORD not in page.text, page.url
    assert "postgresql+psycopg://reader:***@127.0.0.1:1/warehouse" in pages[1].text
    assert 'type="password"' in pages[1].text and 'autocomplete="new-password"' in pages[1].text


def test_an_edit_with_an_empty_url_keeps_the_stored_one(admin, parts):
    assert _create(admin, "dwh", URL).status_code == 303
    response = _post(
        admin, f"{BASE}/dwh", {"title": "Renamed", "url": "", "pool_size": "4"}, page=f"{BASE}/dwh"
    )
    assert response.status_code == 303
    assert parts.report_connectors.store.url("dwh").password == PASSWORD
    stored = next(c for c in parts.report_connectors.list() if c["id"] == "dwh")
    assert stored["title"] == "Renamed" and stored["options"]["pool_size"] == 4
    # a new URL replaces it
    response = _post(admin, f"{BASE}/dwh", {"title": "Renamed", "url": "sqlite:////tmp/other.db"})
    assert response.status_code == 303
    assert parts.report_connectors.store.url("dwh").database == "/tmp/other.db"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "bad id!"}, "The identifier may hold only"),
        ({"id": "new"}, "is a reserved word here"),
        ({"id": "server"}, "is a reserved word here"),
        ({"url": "nosuchdb://x/y"}, "Not saved: unsupported database"),
        ({"url": ""}, "a new connector needs one"),
        ({"timeout_s": "0"}, "must be a whole number from 1 to 86400"),
        ({"max_rows": "many"}, "must be a whole number"),
        ({"title": ""}, "Enter a title"),
    ],
)
def test_a_refused_form_comes_back_with_the_reason_and_the_input(admin, parts, data, message):
    values = {"id": "dwh", "title": "Warehouse copy", "url": URL, "fetch_rows": "777"} | data
    response = _post(admin, f"{BASE}/new", values, page=f"{BASE}/new")
    assert response.status_code == 422 and message in response.text
    assert 'class="flash error"' in response.text and 'value="777"' in response.text
    if values["title"]:
        assert f'value="{values["title"]}"' in response.text
    assert PASSWORD not in response.text
    assert all(c["builtin"] for c in parts.report_connectors.list())


def test_an_id_in_use_is_refused(admin, parts):
    assert _create(admin, "dwh", URL).status_code == 303
    response = _create(admin, "dwh", "sqlite:////tmp/x.db")
    assert response.status_code == 422 and "already in use" in response.text


def test_pages_in_french_and_arabic(admin, parts):
    assert _create(admin, "dwh", URL).status_code == 303
    french = admin.get(f"{BASE}/dwh", params={"lang": "fra"})
    assert "Laissez vide pour garder" in french.text and 'lang="fr"' in french.text
    arabic = admin.get(BASE, params={"lang": "ara"})
    assert 'dir="rtl"' in arabic.text and "الموصلات" in arabic.text


def test_roles_without_the_reports_page_are_refused(signed_in, parts):
    auditor = signed_in(["auditor"])
    assert auditor.get(BASE).status_code == 403
    assert auditor.get(f"{BASE}/new").status_code == 403
    csrf = csrf_of(auditor.get("/console/").text)
    response = auditor.post(f"{BASE}/new", data={"csrf": csrf, "id": "x", "title": "x", "url": URL})
    assert response.status_code == 403
    assert all(c["builtin"] for c in parts.report_connectors.list())
    assert signed_in(["admin"]).get(BASE).status_code == 200


def test_a_post_without_its_csrf_token_is_refused(admin, parts):
    response = admin.post(f"{BASE}/new", data={"id": "x", "title": "x", "url": URL})
    assert response.status_code == 403
    assert all(c["builtin"] for c in parts.report_connectors.list())


def test_without_a_backend_the_pages_say_so(admin):
    for url in (BASE, f"{BASE}/new", f"{BASE}/dwh"):
        page = admin.get(url)
        assert page.status_code == 200 and "Reports are not available here" in page.text

"""The reports portal's setup pages in a real browser against a real server with a backend: an admin
creates a folder destination and tests it, creates a mapping set, uploads a CSV file with a bad row
(every bad row listed, nothing imported), then a good one, sees the entries and downloads them again.
Every page passes axe-core, in English and in Arabic (right to left)."""

from __future__ import annotations

import urllib.request

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait

GOOD = "key,value,effective_from,effective_to\n10001,Capital,,\n10002,North,2024-01-01,\n10003,East,,2030-12-31\n"
BAD = "key,value,effective_from,effective_to\n10001,Capital,,\n,Nameless,,\n"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(
        tmp_path_factory.mktemp("report-setup") / "server", db_url=None, demo=True, env=None, workers=1
    )
    yield server
    server.kill()


def _submit(driver, form_selector: str) -> None:
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]"))


def test_admin_sets_up_a_destination_and_a_mapping_set_from_a_csv_file(browser, live_server, tmp_path):
    url = live_server.url
    browser_sign_in(browser, url, "admin", "admin-demo")

    # a folder destination
    browser.get(f"{url}/console/reports/destinations")
    assert browser.find_element(By.CSS_SELECTOR, "header nav a[aria-current=page]").text == "Reports"
    assert axe_violations(browser) == []
    browser.find_element(By.LINK_TEXT, "New destination").click()
    assert axe_violations(browser) == []
    folder = live_server.data_dir / "reports" / "outbox" / "drop"  # folder destinations write only there
    browser.find_element(By.ID, "id").send_keys("drop")
    browser.find_element(By.ID, "title").send_keys("Local drop folder")
    browser.find_element(By.ID, "folder_folder").send_keys(str(folder))
    _submit(browser, "main form.stack")
    assert browser.current_url.endswith("/console/reports/destinations?done=saved"), browser.page_source[:800]
    row = browser.find_element(By.ID, "destination-drop")
    assert str(folder) in row.text and "Not needed" in row.text
    submit_and_wait(browser, row.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "Destination drop works" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert axe_violations(browser) == []

    # a mapping set, filled from CSV files
    browser.get(f"{url}/console/reports/mappings/new")
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "id").send_keys("centers")
    browser.find_element(By.ID, "title").send_keys("Center names")
    browser.find_element(By.ID, "on_missing-keep").click()
    _submit(browser, "main form.stack")
    assert browser.current_url.endswith("/console/reports/mappings/centers?done=created")

    bad, good = tmp_path / "bad.csv", tmp_path / "centers.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    import_form = 'form[action="/console/reports/mapping-import"]'
    browser.find_element(By.ID, "import-file").send_keys(str(bad))
    _submit(browser, import_form)
    assert (
        "Nothing was imported: 1 rows are wrong" in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
    )
    assert "Line 3: the key is empty" in browser.find_element(By.ID, "import-errors").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#entries tbody tr")
    assert axe_violations(browser) == []

    browser.find_element(By.ID, "import-file").send_keys(str(good))
    _submit(browser, import_form)
    assert "Import done: 3 entries added" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#entries tbody tr")]
    assert len(rows) == 3 and "Capital" in rows[0] and "2024-01-01" in rows[1] and "2030-12-31" in rows[2]
    assert axe_violations(browser) == []

    # the export downloads the same rows, with the browser's console session
    export = browser.find_element(By.PARTIAL_LINK_TEXT, "Download the entries").get_attribute("href")
    session = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(export, headers={"Cookie": session})) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.read().decode().replace("\r\n", "\n") == GOOD

    # the same pages right to left, in Arabic
    for path in ("/console/reports/mappings/centers", "/console/reports/destinations/new"):
        browser.get(f"{url}{path}?lang=ara")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
        assert axe_violations(browser) == []
    browser.get(f"{url}/console/reports/mappings?lang=eng")
    assert "Center names" in browser.find_element(By.ID, "set-centers").text

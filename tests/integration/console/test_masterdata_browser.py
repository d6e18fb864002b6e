"""The master data page in a real browser against a real server process: a file with an error gets
its report, the fixed file its preview, Apply changes the master data and the change log shows it;
the upload, report and preview pages pass axe-core."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(tmp_path_factory.mktemp("masterdata") / "server", db_url=None, demo=True, env=None)
    yield server
    server.kill()


def _upload(browser, path) -> None:
    browser.find_element(By.ID, "file").send_keys(str(path))
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]"))


def test_admin_uploads_fixes_previews_and_applies(browser, live_server, tmp_path):
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    browser.get(f"{live_server.url}/console/masterdata")
    assert axe_violations(browser) == []

    broken = tmp_path / "broken" / "centers.csv"
    broken.parent.mkdir()
    broken.write_text("id,name\n10021,Lakeside\n1234,Bad Id\n")
    _upload(browser, broken)
    assert "Validation report" in browser.find_element(By.TAG_NAME, "h1").text
    cells = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    ]
    assert cells[0][:3] == ["centers.csv", "3", "id"], cells
    assert axe_violations(browser) == []

    fixed = tmp_path / "centers.csv"
    fixed.write_text("id,name\n10021,Lakeside\n10022,Hillcrest\n")
    _upload(browser, fixed)
    assert "/console/masterdata/preview/" in browser.current_url
    added = browser.find_element(By.CSS_SELECTOR, "#sum-centers td").text
    assert added == "2"
    assert axe_violations(browser) == []

    apply = browser.find_element(By.ID, "apply")
    apply.click()
    WebDriverWait(browser, 10).until(ec.alert_is_present()).accept()  # data-confirm asks first
    WebDriverWait(browser, 20).until(ec.staleness_of(apply))
    assert "/console/masterdata/changes" in browser.current_url
    assert "Import applied" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    newest = browser.find_element(By.CSS_SELECTOR, "#change-log tbody tr").text
    assert "centers" in newest and "10022" in newest and "admin" in newest
    assert axe_violations(browser) == []

"""The reports page in a real browser against a real server with a backend (one worker, the report
scheduler): run a report now, watch its run refresh until it has finished, find its downloads, and
check the pages with axe-core."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(
        tmp_path_factory.mktemp("console-reports") / "server", db_url=None, demo=True, env=None, workers=1
    )
    yield server
    server.kill()


def test_admin_runs_a_report_now_and_downloads_its_files(browser, live_server):
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    browser.get(f"{live_server.url}/console/reports")
    assert browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Reports"
    assert "Rejection reasons" in browser.find_element(By.ID, "report-list").text
    assert axe_violations(browser) == []

    run_now = browser.find_element(By.CSS_SELECTOR, 'form[action="/console/reports/rejections/run"] button')
    submit_and_wait(browser, run_now)
    assert browser.current_url.endswith("/console/reports/rejections?started=1"), browser.page_source[:500]
    assert "The report has started" in browser.find_element(By.CSS_SELECTOR, ".flash").text

    # while the run is running the runs table re-fetches itself (data-refresh) until it has finished
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#runs tr[data-status="succeeded"]')
    )
    row = browser.find_element(By.CSS_SELECTOR, '#runs tr[data-status="succeeded"]')
    assert "Finished" in row.text and "Run by hand" in row.text
    links = {a.text: a.get_attribute("href") for a in row.find_elements(By.CSS_SELECTOR, "a[download]")}
    assert {"CSV", "JSON", "PDF"} <= set(links)
    assert links["PDF"].endswith("/artifacts/pdf")
    assert axe_violations(browser) == []

    # the link works with the browser's console session, and only with it
    session = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    with urllib.request.urlopen(
        urllib.request.Request(links["PDF"], headers={"Cookie": session})
    ) as response:
        body = response.read()
        assert body.startswith(b"%PDF") and response.headers["Content-Type"] == "application/pdf"
        assert hashlib.sha256(body).hexdigest() == response.headers["X-Checksum-SHA256"]
    with urllib.request.urlopen(links["PDF"]) as response:
        assert response.url.endswith("/console/sign-in")

    browser.get(f"{live_server.url}/console/reports?lang=ara")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert axe_violations(browser) == []

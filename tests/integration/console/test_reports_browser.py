"""The reports pages in a real browser against a real server with a backend (one worker, the report
scheduler): run a built-in report from the list and download its files; create an SQL report on the
server's own database in the editor (a column mapping, a row rule, an SQL check), run it, watch its
log arrive live on the run's page (Server-Sent Events) until the page reloads itself finished, and
download its CSV. axe-core checks the pages on the way."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import create_engine, insert

from sync_server.db.tables import PacketRow
from sync_server.reports.mappings import MappingSets
from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait

# Each phase of the report's run (its source query, then its SQL check) joins the packets table with
# itself three times: a few seconds, so the run page meets the run going and its log grows live.
PACKETS = {"10001": 160, "10002": 80}
SLOW = "(SELECT count(*) FROM packets a, packets b, packets c WHERE a.center_id || b.center_id || c.center_id <> '')"
QUERY = f"SELECT center_id, count(*) AS n FROM packets WHERE {SLOW} > 0 GROUP BY center_id"
CHECK = f"SELECT 1 FROM packets WHERE {SLOW} < 0"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(
        tmp_path_factory.mktemp("console-reports") / "server", db_url=None, demo=True, env=None, workers=1
    )
    engine = create_engine(f"sqlite:///{server.data_dir / 'server.db'}")
    with engine.begin() as conn:
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            insert(PacketRow.__table__),
            [
                {
                    "rid": f"{center}{i:024d}",
                    "machine_id": "10001",
                    "center_id": center,
                    "sha256": "0" * 64,
                    "size": 1,
                    "status": "processed",
                    "registered_at": now,
                }
                for center, count in PACKETS.items()
                for i in range(count)
            ],
        )
    mappings = MappingSets(engine)
    mappings.save_set("centers", title="Center names", actor="test")
    mappings.put_entry("centers", "10001", "Rabat", actor="test")
    mappings.put_entry("centers", "10002", "Fès", actor="test")
    engine.dispose()
    yield server
    server.kill()


def _download(browser, url: str) -> tuple[bytes, object]:
    """``url`` fetched with the browser's console session."""
    session = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": session})) as response:
        return response.read(), response.headers


def test_admin_runs_a_report_now_and_downloads_its_files(browser, live_server):
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    browser.get(f"{live_server.url}/console/reports")
    assert browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Reports"
    assert "Rejection reasons" in browser.find_element(By.ID, "report-list").text
    assert axe_violations(browser) == []

    run_now = browser.find_element(By.CSS_SELECTOR, 'form[action="/console/reports/rejections/run"] button')
    submit_and_wait(browser, run_now)
    assert "/console/reports/runs/" in browser.current_url, browser.page_source[:500]
    # the page reloads itself when the run has ended (live log) and then shows its files
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#run-status[data-status="succeeded"]')
    )
    links = {
        a.text: a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "#artifacts a[download]")
    }
    assert {"CSV", "JSON", "PDF"} <= set(links)
    assert links["PDF"].endswith("/artifacts/pdf")
    assert axe_violations(browser) == []

    body, headers = _download(browser, links["PDF"])
    assert body.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == headers["X-Checksum-SHA256"]
    with urllib.request.urlopen(links["PDF"]) as response:  # and only with the session
        assert response.url.endswith("/console/sign-in")

    browser.get(f"{live_server.url}/console/reports?lang=ara")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert axe_violations(browser) == []
    browser.get(f"{live_server.url}/console/reports?lang=eng")


def _type(browser, name: str, text: str) -> None:
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def test_admin_creates_an_sql_report_runs_it_and_watches_its_live_log(browser, live_server):
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    browser.get(f"{live_server.url}/console/reports")
    submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "New report"))
    assert browser.current_url.endswith("/console/reports/new")
    assert axe_violations(browser) == []

    _type(browser, "id", "packets-per-center")
    _type(browser, "title", "Packets per center")
    assert browser.find_element(By.ID, "source_kind-sql").is_selected()  # a new report starts as SQL
    assert browser.find_element(By.ID, "source_query").is_displayed()
    assert not browser.find_element(By.ID, "source_function").is_displayed()  # CSS shows one source
    Select(browser.find_element(By.ID, "source_connector")).select_by_value("server")
    _type(browser, "source_query", QUERY)
    _type(browser, "m0_column", "center_id")
    Select(browser.find_element(By.NAME, "m0_set")).select_by_value("centers")
    _type(browser, "m0_as", "center_name")
    _type(browser, "v0_name", "counted")
    _type(browser, "v0_text", "n >= 1")
    Select(browser.find_element(By.NAME, "v1_kind")).select_by_value("sql")
    _type(browser, "v1_name", "not negative")
    _type(browser, "v1_text", CHECK)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#editor button.primary"))
    assert browser.current_url.endswith("/console/reports/packets-per-center?saved=1"), browser.page_source[
        :3000
    ]
    assert "Saved as version 1." in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert "GROUP BY center_id" in browser.find_element(By.CSS_SELECTOR, "#source-heading + p + pre").text
    assert axe_violations(browser) == []

    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'form[action$="/run"] button'))
    assert "/console/reports/runs/" in browser.current_url
    log = browser.find_element(By.ID, "run-log")
    assert log.get_attribute("data-events"), "the run ended before its page was shown"
    shown = len(log.find_elements(By.TAG_NAME, "li"))
    browser.execute_script("document.getElementById('run-log').dataset.seen = 'yes'")  # gone on reload

    def grew_live(driver) -> bool:
        items = driver.find_elements(By.CSS_SELECTOR, "#run-log[data-seen] li")
        return len(items) > shown

    WebDriverWait(browser, 60, poll_frequency=0.1).until(grew_live)
    appended = browser.find_elements(By.CSS_SELECTOR, "#run-log li")[-1].text
    assert "Query" in appended or "Mappings" in appended, appended
    # on "end" the page reloads itself: the final status, the checks and the files show
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#run-status[data-status="succeeded"]')
    )
    assert not browser.find_element(By.ID, "run-log").get_attribute("data-events")
    checks = browser.find_element(By.CSS_SELECTOR, "#checks-heading + .table-wrap").text
    assert "counted" in checks and "not negative" in checks and "Not passed" not in checks
    assert axe_violations(browser) == []

    href = browser.find_element(By.CSS_SELECTOR, '#artifacts a[href$="/artifacts/csv"]').get_attribute("href")
    body, headers = _download(browser, href)
    assert hashlib.sha256(body).hexdigest() == headers["X-Checksum-SHA256"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["center_id", "n", "center_name"]
    assert sorted(rows[1:]) == [["10001", "160", "Rabat"], ["10002", "80", "Fès"]]

    browser.get(f"{browser.current_url.split('?')[0]}?lang=ara")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert axe_violations(browser) == []
    browser.get(f"{live_server.url}/console/reports/packets-per-center/edit?lang=ara")
    assert axe_violations(browser) == []
    browser.get(f"{live_server.url}/console/reports?lang=eng")

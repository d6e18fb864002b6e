"""The console in a real browser against a real server process: sign in with TOTP enrolment, the
pages' accessibility (axe-core, offline), and the self-hosted API docs rendering with no internet."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(tmp_path_factory.mktemp("console") / "server", db_url=None, demo=True, env=None)
    yield server
    server.kill()


def test_admin_signs_in_with_totp_in_a_real_browser(browser, live_server):
    browser.get(f"{live_server.url}/console/sign-in")
    assert axe_violations(browser) == []
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    assert browser.current_url.endswith("/console/"), browser.page_source[:500]
    assert browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Dashboard"
    assert axe_violations(browser) == []
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".signout button"))
    assert browser.current_url.endswith("/console/sign-in")


def test_api_docs_render_offline(browser, live_server):
    browser.get(f"{live_server.url}/docs")
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_keyboard_only_sign_in_and_tablet_width_without_sideways_scrolling(browser, live_server):
    from selenium.webdriver.common.keys import Keys

    from sync_server.console.access import PAGES

    browser.get(f"{live_server.url}/console/sign-in")
    # focus starts in the user name; Tab to the password, Enter sends the form
    browser.switch_to.active_element.send_keys("auditor", Keys.TAB, "auditor-demo", Keys.ENTER)
    WebDriverWait(browser, 20).until(ec.url_contains("/sign-in/enrol"))
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    browser.set_window_size(768, 1024)
    for lang in ("eng", "ara"):
        for page in PAGES:
            browser.get(f"{live_server.url}{page.path}?lang={lang}")
            wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, (lang, page.path, wide)

"""The machines page and the dashboard in a real browser against a real server that does not
auto-approve: a kiosk enrols over the API, an admin approves it on the page, the kiosk can then sign
in; both pages pass axe-core."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from sync_server.bootstrap import build_state, load_demo_data_once
from sync_server.settings import ServerSettings
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    data = tmp_path_factory.mktemp("console-machines") / "server"
    # the demo master data (centers, the admin user) without the demo's auto-approval
    state = build_state(ServerSettings(data_dir=data, demo=False))
    load_demo_data_once(state)
    state.engine.dispose()
    server = RunningServer(data, db_url=None, demo=False, env=None)
    yield server
    server.kill()


def test_admin_approves_a_pending_kiosk(browser, live_server):
    kiosk = Kiosk(live_server.url, center_id="10002", name="browser kiosk")
    assert kiosk.enrol()["status"] == "pending"
    browser_sign_in(browser, live_server.url, "admin", "admin-demo")
    assert browser.current_url.endswith("/console/")
    assert browser.find_element(By.ID, "numbers").get_attribute("data-refresh") == "30"
    assert axe_violations(browser) == []
    browser.get(f"{live_server.url}/console/machines")
    found = axe_violations(browser)
    assert found == [], [n["html"] for v in found for n in v["nodes"]]
    row = browser.find_element(By.ID, f"pending-{kiosk.machine_id}")
    row.find_element(By.NAME, "reason").send_keys("seen on site")
    submit_and_wait(browser, row.find_element(By.CSS_SELECTOR, "button.approve"))
    assert browser.current_url.endswith("/console/machines?done=approve")
    assert "The machine is approved." in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert not browser.find_elements(By.ID, f"pending-{kiosk.machine_id}")
    listed = browser.find_element(By.ID, f"machine-{kiosk.machine_id}")
    assert "approved" in listed.text and listed.find_elements(By.CSS_SELECTOR, "button.revoke")
    assert axe_violations(browser) == []
    assert kiosk.login()

"""The users page in a real browser against a real server process: an admin creates a kiosk operator,
reads the one-time password off the page, and a real kiosk of that center syncs and lets the operator
sign in with it (the wire feed carries the user and its hash to that center only); the operator cannot use the console. The list and the
form pass axe-core."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from client.core.bootstrap import build_client
from tests.integration.client.kiosk_child import settings
from tests.integration.sync_server.kiosk import API, Kiosk
from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(tmp_path_factory.mktemp("users") / "server", db_url=None, demo=True, env=None)
    yield server
    server.kill()


def test_admin_creates_an_operator_that_a_kiosk_receives(browser, live_server, tmp_path):
    url = live_server.url
    browser_sign_in(browser, url, "admin", "admin-demo")
    browser.get(f"{url}/console/users")
    assert "operator1" in browser.page_source
    assert axe_violations(browser) == []
    browser.get(f"{url}/console/users/new")
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "id").send_keys("op.browser")
    browser.find_element(By.ID, "name").send_keys("Browser Operator")
    browser.find_element(By.ID, "role-operator").click()
    Select(browser.find_element(By.ID, "center_id")).select_by_value("10001")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    password = browser.find_element(By.ID, "temporary-password").text
    assert len(password) == 19, browser.page_source[:2000]
    assert axe_violations(browser) == []
    browser.get(f"{url}/console/users/op.browser")  # the edit form and its actions
    assert axe_violations(browser) == []

    # a real kiosk of center 10001 syncs and the new operator signs in there with the temporary password
    data, keyring = tmp_path / "kiosk", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, url))
    try:
        app.enrolment().wait_for_approval(center_id="10001", timeout_s=20, poll_s=0.3)
        app.master_data_sync().sync()
        session = app.authentication.login(user_id="op.browser", password=password)
        assert session.user_id == "op.browser" and "operator" in session.roles
    finally:
        app.close()

    kiosk = Kiosk(url, center_id="10001")
    kiosk.enrol()
    kiosk.login()
    response = kiosk.http.get(
        f"{url}{API}/masterdata/changes", params={"since": 0, "limit": 100000}, headers=kiosk.auth
    )
    assert response.status_code == 200, response.text
    changes = [
        c for c in response.json()["payload"]["changes"] if c["entity"] == "users" and c["id"] == "op.browser"
    ]
    assert [c["op"] for c in changes] == ["upsert"]
    data = changes[0]["data"]
    assert data["center_id"] == "10001" and data["roles"] == ["operator"]
    assert PasswordHasher().verify(data["password_hash"], password)
    # another center's kiosk does not get the user
    other = Kiosk(url, center_id="10002")
    other.enrol()
    other.login()
    elsewhere = other.http.get(
        f"{url}{API}/masterdata/changes", params={"since": 0, "limit": 100000}, headers=other.auth
    )
    assert all(c["id"] != "op.browser" for c in elsewhere.json()["payload"]["changes"])

    # a kiosk operator has no console access
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".signout button"))
    browser.find_element(By.ID, "username").send_keys("op.browser")
    browser.find_element(By.ID, "password").send_keys(password)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.current_url.endswith("/console/sign-in")
    assert "cannot use the console" in browser.page_source

"""A real browser for the web console's tests and screenshots: Debian's chromium driven by its
chromium-driver through selenium, headless, one per test session (installers/system-deps.sh installs
both). Tests that need it skip with the reason when either is missing.

Fixtures: ``browser`` (a session-wide WebDriver at 1280x800; each test starts with its cookies
cleared). Helpers: ``browser_sign_in(driver, base_url, username, password)`` walks the real sign-in
steps, reading the TOTP key off the enrolment page; ``axe_violations(driver)`` runs the axe-core copy
that axe-selenium-python ships (offline) and returns the serious and critical findings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.browser import CHROMEDRIVER, CHROMIUM, make_driver, submit_and_wait
from tests.support.console import SECRETS, next_code


@pytest.fixture(scope="session")
def _browser_session() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "chromium and chromium-driver are not installed (installers/system-deps.sh installs them)"
        )
    driver = make_driver()
    yield driver
    driver.quit()


@pytest.fixture
def browser(_browser_session):
    driver = _browser_session
    driver.set_window_size(1280, 800)
    driver.delete_all_cookies()
    yield driver
    driver.delete_all_cookies()


def browser_sign_in(
    driver, base_url: str, username: str, password: str, *, new_password: str | None = None
) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/console/sign-in")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    for _ in range(3):
        url = driver.current_url
        if url.endswith("/sign-in/enrol"):
            secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
            SECRETS[username] = secret
            driver.find_element(By.ID, "code").send_keys(next_code(secret))
        elif url.endswith("/sign-in/code"):
            driver.find_element(By.ID, "code").send_keys(next_code(SECRETS[username]))
        elif url.endswith("/sign-in/new-password") and new_password:
            driver.find_element(By.ID, "password").send_keys(new_password)
            driver.find_element(By.ID, "again").send_keys(new_password)
        else:
            return
        submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def axe_violations(driver) -> list[dict]:
    """The serious and critical axe-core findings on the current page (WCAG 2 A/AA rules)."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run(options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    return [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]

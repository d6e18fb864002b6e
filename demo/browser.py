"""Debian's chromium, headless, driven by its chromium-driver through selenium: for the web console's
screenshots (demo.console_screenshots) and its browser tests (tests/support/browser.py)."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


def make_driver(width: int = 1280, height: int = 800, *, lang: str = "en-US"):
    """A new headless chromium (RuntimeError when chromium or chromium-driver is missing)."""
    if not (CHROMIUM and CHROMEDRIVER):
        raise RuntimeError(
            "chromium and chromium-driver are needed (installers/system-deps.sh installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-extensions",
        "--hide-scrollbars",
    )
    for flag in (*flags, f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def submit_and_wait(driver, button) -> None:
    """Click a form's submit button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    button.click()
    # While the page is replaced, chromedriver may answer "node does not belong to the document"
    # instead of "stale element": the same fact, asked again a moment later.
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(ec.staleness_of(button))

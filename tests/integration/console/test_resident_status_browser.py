"""The public status page in a real browser (chromium) against a real server process, in English and
Arabic: a resident types the RID and picks the date of birth, and reads each state in words; the
Arabic page is right to left; an unknown RID and a wrong date read the same; the form and its answers
pass axe-core. Screenshots of every answer go to $OPENREG_RESIDENT_SCREENSHOTS (default: tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.integration.sync_server.resident.world import (
    BIRTH_DATE,
    PAGE,
    UIN,
    Registrations,
    fresh_address,
    new_rid,
)
from tests.support.browser import axe_violations, submit_and_wait

BUSY = "يرجى الانتظار قليلًا"  # the 429 page's title in Arabic
# (name, queue row, state shown, words the English answer holds)
ANSWERS = [
    ("received", {"status": "queued", "stage": None}, "received", "waiting to be processed"),
    (
        "processing",
        {"status": "held", "reason_code": "adjudication", "reason_text": "x"},
        "processing",
        "being processed",
    ),
    (
        "more-information",
        {
            "status": "held",
            "reason_code": "more_information",
            "reason_text": "Please bring a proof of address.",
        },
        "more_information",
        "Please bring a proof of address.",
    ),
    ("uin-issued", {"status": "processed", "uin": UIN}, "uin_issued", "has been issued"),
    (
        "rejected",
        {"status": "rejected", "reason_code": "missing_document", "reason_text": "no proof"},
        "rejected",
        "document was missing",
    ),
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.support.server import RunningServer

    server = RunningServer(tmp_path_factory.mktemp("resident") / "server", db_url=None, demo=True, env=None)
    yield server
    server.kill()


@pytest.fixture
def shots(tmp_path) -> Path:
    out = Path(os.environ.get("OPENREG_RESIDENT_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _as_new_client(browser) -> None:
    """Each check from an address of its own (uvicorn trusts X-Forwarded-For from 127.0.0.1), so the
    per-address limit of a real visitor does not cut the walk short."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-For": fresh_address()}})


def _check(browser, url: str, rid: str, date_of_birth: str, lang: str) -> None:
    _as_new_client(browser)
    browser.get(f"{url}{PAGE}?lang={lang}")
    browser.find_element(By.ID, "rid").send_keys(rid)
    # the date picker takes typed digits in the browser's locale (en-US: month, day, year)
    year, month, day = date_of_birth.split("-")
    browser.find_element(By.ID, "date_of_birth").send_keys(f"{month}{day}{year}")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def _shoot(browser, out: Path, name: str, *, width: int = 1280) -> None:
    browser.set_window_size(width, 800)
    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return Math.max(document.body.scrollHeight, 600)")
    browser.set_window_size(width, min(int(height) + 140, 3000))
    browser.save_screenshot(str(out / f"{name}.png"))
    browser.set_window_size(1280, 800)


@pytest.mark.parametrize("lang", ["eng", "ara"])
def test_a_resident_reads_each_state_in_their_language(browser, live_server, shots, lang):
    url, registrations = live_server.url, Registrations(live_server)
    try:
        _as_new_client(browser)
        browser.get(f"{url}{PAGE}?lang={lang}")
        html = browser.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("dir") == ("rtl" if lang == "ara" else "ltr")
        assert axe_violations(browser) == []
        _shoot(browser, shots, f"form-{lang}")

        for name, row, state, words in ANSWERS:
            rid = registrations.add(**row)
            _check(browser, url, rid, BIRTH_DATE, lang)
            answer = browser.find_element(By.ID, "answer")
            assert answer.get_attribute("data-state") == state, browser.page_source[:3000]
            if lang == "eng":
                assert words in answer.text
            assert UIN not in browser.page_source
            assert axe_violations(browser) == []
            _shoot(browser, shots, f"{name}-{lang}")
            if name == "more-information":  # residents mostly ask from a phone
                _shoot(browser, shots, f"{name}-{lang}-phone", width=400)

        known = registrations.add(status="processed", uin=UIN)
        _check(browser, url, known, "1990-04-24", lang)
        wrong_date = browser.find_element(By.ID, "form-error").text
        _shoot(browser, shots, f"not-found-{lang}")
        _check(browser, url, new_rid(), BIRTH_DATE, lang)
        assert browser.find_element(By.ID, "form-error").text == wrong_date
        assert browser.find_elements(By.ID, "answer") == []
        assert axe_violations(browser) == []
    finally:
        registrations.engine.dispose()
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})


def test_the_rate_limit_page_in_a_browser(browser, live_server, shots):
    _as_new_client(browser)  # one address for every check below
    url, checks = live_server.url, 0
    # ten checks a minute pass; a slow browser may earn a token back meanwhile, so go on until refused
    while checks < 20 and BUSY not in browser.page_source:
        browser.get(f"{url}{PAGE}?lang=ara")
        browser.find_element(By.ID, "rid").send_keys(new_rid())
        browser.find_element(By.ID, "date_of_birth").send_keys("04251990")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        checks += 1
    assert checks >= 11, checks
    error = browser.find_element(By.ID, "form-error").text
    assert BUSY in error, browser.page_source[:3000]
    assert axe_violations(browser) == []
    _shoot(browser, shots, "busy-ara")
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})

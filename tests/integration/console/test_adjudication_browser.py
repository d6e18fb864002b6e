"""The adjudication pages in a real browser against a real server process with one processing worker.

A kiosk registers Amina Diallo, then the same woman as "Amina Dialo" and as "Aminata Diallo": both
are held as possible duplicates. An adjudicator (a user made for the test) opens the list and the
first case side by side (faces from ISO 19794-5 records, scores, demographics); the browser refuses
a decision without a reason; the server refuses a decision that does not fit and a blank reason, and
the page says why while nothing changes; "different person" then gets the packet its own UIN, as the
kiosk's status shows. On the second case the adjudicator asks for more information, which reaches
the kiosk as the held reason. Every page passes axe-core.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from demo.sbi_simulator.devices import iso_record_for
from shared.packet import BiometricRecord
from sync_server.bootstrap import build_state
from sync_server.settings import ServerSettings
from tests.integration.sync_server.kiosk import Kiosk, final
from tests.support.browser import axe_violations, browser_sign_in
from tests.support.console import PASSWORD, add_user
from tests.support.packets import PERSON, seal_and_upload

# (packet modality, subtype; simulator type, subtype; format): one of each keeps sealing quick
CAPTURES = (
    ("finger", "Left Thumb", "Finger", "Left Thumb", "ISO19794_4_2011"),
    ("iris", "Left", "Iris", "Left", "ISO19794_6_2011"),
    ("face", "Face", "Face", "", "ISO19794_5_2011"),
)


def captures_of(person: int) -> list[BiometricRecord]:
    """Synthetic person ``person``'s captures as real ISO 19794 records (the face shows on the page)."""
    return [
        BiometricRecord(modality, subtype, fmt, 80, {}, iso_record_for(kind, sub, 80, person, 0))
        for modality, subtype, kind, sub, fmt in CAPTURES
    ]


def held(state: dict) -> bool:
    return state.get("reason_code") == "adjudication"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict]:
    """A server with a worker, an adjudicator, one identity and two packets held against it."""
    from tests.support.server import RunningServer

    tmp = tmp_path_factory.mktemp("adjudication")
    server = RunningServer(tmp / "server", db_url=None, demo=True, env=None, workers=1)
    try:  # kill the server whatever fails while the world is built
        state = build_state(ServerSettings(data_dir=server.data_dir))
        adjudicator = add_user(state, ["adjudicator"], username="adj.browser")
        state.engine.dispose()
        kiosk = Kiosk(server.url)
        kiosk.enrol()
        kiosk.login()
        first = seal_and_upload(kiosk, tmp, person=PERSON, biometrics=captures_of(1))
        uin = kiosk.wait_for(first, timeout=30, until=final)["uin"]
        assert uin, server.log_tail()
        typo = seal_and_upload(
            kiosk, tmp, person=PERSON | {"fullName": "Amina Dialo"}, biometrics=captures_of(2)
        )
        other = seal_and_upload(
            kiosk, tmp, person=PERSON | {"fullName": "Aminata Diallo"}, biometrics=captures_of(3)
        )
        for rid in (typo, other):
            kiosk.wait_for(rid, timeout=30, until=held)
        yield {
            "url": server.url,
            "kiosk": kiosk,
            "uin": uin,
            "typo": typo,
            "other": other,
            "user": adjudicator,
        }
    finally:
        server.kill()


def sign_in_and_open(browser, world) -> None:
    browser_sign_in(browser, world["url"], world["user"], PASSWORD)
    assert browser.current_url.endswith("/console/"), browser.page_source[:1000]
    browser.find_element(By.CSS_SELECTOR, "header nav a[href='/console/adjudication']").click()
    assert browser.current_url.endswith("/console/adjudication")


def no_axe_findings(browser) -> None:
    found = axe_violations(browser)
    assert found == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in found]


def submit(browser, button) -> None:
    """Click ``button`` and wait for the next document. (``submit_and_wait`` waits for the button to
    go stale, and chromedriver now and then answers that check with an inspector error instead.)"""
    browser.execute_script("window.beforeSubmit = true")
    button.click()
    WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return document.readyState === 'complete' && !window.beforeSubmit")
    )


def decide(browser, *, reason: str, choice: str = "different") -> None:
    browser.find_element(By.CSS_SELECTOR, f"input[name=decision][value='{choice}']").click()
    textarea = browser.find_element(By.ID, "a-reason")
    textarea.clear()
    textarea.send_keys(reason)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/decide'] button[type=submit]"))


def test_adjudicator_decides_a_different_person(browser, world):
    kiosk, rid, uin = world["kiosk"], world["typo"], world["uin"]
    sign_in_and_open(browser, world)
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert {world["typo"], world["other"]} <= {r.find_element(By.TAG_NAME, "a").text for r in rows}
    assert "Possible duplicate" in browser.find_element(By.ID, "main").text
    no_axe_findings(browser)
    browser.set_window_size(390, 844)  # a phone: each case a block of labelled lines
    no_axe_findings(browser)
    browser.set_window_size(1280, 800)

    browser.find_element(By.LINK_TEXT, rid).click()
    assert browser.current_url.endswith(f"/console/adjudication/{rid}")
    parties = {
        s.find_element(By.TAG_NAME, "h2").text: s for s in browser.find_elements(By.CSS_SELECTOR, ".party")
    }
    packet, candidate = parties[f"This packet ({rid})"], parties[f"Identity {uin}"]
    assert "Demographic score" in candidate.text and "Demographic score" not in packet.text
    # the details side by side; the candidate's differing values are marked
    name = browser.find_elements(By.XPATH, "//table[contains(@class, 'compare')]//tr[th='fullName']/td")
    assert [c.find_element(By.TAG_NAME, "bdi").text for c in name] == ["Amina Dialo", "Amina Diallo"]
    assert name[1].get_attribute("class") == "differs"
    born = browser.find_elements(By.XPATH, "//table[contains(@class, 'compare')]//tr[th='dateOfBirth']/td")
    assert [c.text for c in born] == [PERSON["dateOfBirth"]] * 2 and not born[1].get_attribute("class")
    for side in (packet, candidate):  # the faces decode (JPEG 2000 records are shown as PNG)
        face = side.find_element(By.CSS_SELECTOR, "img.face")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", face) > 0
    no_axe_findings(browser)

    # no reason: the browser refuses to send the form
    browser.find_element(By.CSS_SELECTOR, "input[name=decision][value='different']").click()
    browser.find_element(By.CSS_SELECTOR, "form[action$='/decide'] button[type=submit]").click()
    reason = browser.find_element(By.ID, "a-reason")
    assert browser.execute_script("return arguments[0].validity.valueMissing", reason)
    assert browser.current_url.endswith(f"/console/adjudication/{rid}")

    # a reason of spaces passes the browser; the server refuses it and nothing changes
    decide(browser, reason="   ")
    assert (
        "Give a reason (at most 500 characters)."
        in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
    )
    assert held(kiosk.status(rid)[rid])
    # a decision that does not fit this case (a UIN that is not a candidate), as a doctored form sends
    browser.execute_script(
        "document.querySelector(\"input[name=decision][value='different']\").value = 'same:1234567890'"
    )
    decide(browser, reason="looks the same", choice="same:1234567890")
    error = browser.find_element(By.CSS_SELECTOR, ".flash.error")
    assert error.get_attribute("role") == "alert" and "Choose one of the candidates shown." in error.text
    assert held(kiosk.status(rid)[rid])
    no_axe_findings(browser)
    # the refusals above answered 422, which the browser logs: expected here, not another test's error
    browser.get_log("browser")

    decide(browser, reason="different birth certificate and face")
    assert browser.current_url.endswith("/console/adjudication?done=decided")
    assert "Decision recorded" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert not browser.find_elements(By.LINK_TEXT, rid)
    done = kiosk.wait_for(rid, timeout=30, until=final)
    assert done["status"] == "processed" and done["uin"] and done["uin"] != uin, done
    browser.get(f"{world['url']}/console/adjudication/{rid}")  # the case now reads as decided
    assert "Decided: different person. Reason: different birth certificate and face" in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/decide']")


def test_adjudicator_asks_for_more_information(browser, world):
    kiosk, rid = world["kiosk"], world["other"]
    sign_in_and_open(browser, world)
    browser.find_element(By.LINK_TEXT, rid).click()
    browser.find_element(By.ID, "a-request").send_keys("a birth certificate")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/request'] button[type=submit]"))
    assert browser.current_url.endswith("/console/adjudication?done=requested")
    assert "Request sent" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    no_axe_findings(browser)
    state = kiosk.wait_for(rid, timeout=30, until=lambda s: s.get("reason_code") == "more_information")
    assert (state["status"], state["reason"]) == ("processing", "a birth certificate")

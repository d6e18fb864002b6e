"""Packets, identities and audit pages in a real browser against a real server process with one
processing worker: a kiosk-made packet is processed, its detail shows the timeline, Reprocess asks
first and is audited, and every page passes axe-core."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By

from tests.integration.sync_server.kiosk import Kiosk
from tests.support.browser import axe_violations, browser_sign_in
from tests.support.packets import seal_and_upload


def _upload_packet(server, tmp_path) -> str:
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    rid = seal_and_upload(kiosk, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if kiosk.status(rid)[rid]["status"] in ("processed", "rejected"):
            return rid
        time.sleep(0.3)
    raise AssertionError(f"packet not processed: {kiosk.status(rid)}\n{server.log_tail()}")


def test_packet_detail_reprocess_and_audit(browser, start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", workers=1)
    rid = _upload_packet(server, tmp_path)
    browser_sign_in(browser, server.url, "admin", "admin-demo")
    browser.get(f"{server.url}/console/packets")
    assert rid in browser.page_source and axe_violations(browser) == []
    browser.find_element(By.LINK_TEXT, rid).click()
    assert "/console/packets/" in browser.current_url and "<td>" in browser.page_source
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "reprocess").click()
    browser.switch_to.alert.accept()
    deadline = time.monotonic() + 10
    while "done=" not in browser.current_url and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "done=" in browser.current_url, browser.page_source[:500]
    assert browser.find_elements(By.CSS_SELECTOR, ".flash")
    browser.get(f"{server.url}/console/identities")
    assert axe_violations(browser) == []
    browser.get(f"{server.url}/console/audit?action=packets.reprocess")
    assert rid in browser.page_source and "packets.reprocess" in browser.page_source
    assert axe_violations(browser) == []

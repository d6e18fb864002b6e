"""Import from a USB stick in a real browser against a real server process: the admin finds the page
from the packets list, types the stick's folder, sees what arrived, and the answer is on the stick;
the page passes axe-core in English and Arabic."""

from __future__ import annotations

import os

from selenium.webdriver.common.by import By
from sqlalchemy import create_engine

from shared.media.models import ACK_NAME
from tests.support.browser import axe_violations, browser_sign_in, submit_and_wait
from tests.support.media import enrolled_kiosk, write_export


def test_an_admin_imports_a_stick_in_the_browser(browser, start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    engine = create_engine(f"sqlite:///{server.data_dir / 'server.db'}")
    try:
        kiosk = enrolled_kiosk(engine, machine_id="10077")
    finally:
        engine.dispose()
    stick = tmp_path / "stick"
    folder, rids = write_export(stick, kiosk, [os.urandom(5000), os.urandom(7000)])
    browser_sign_in(browser, server.url, "admin", "admin-demo")
    browser.get(f"{server.url}/console/packets")
    submit_and_wait(browser, browser.find_element(By.ID, "packets-import"))
    assert "/console/packets/import" in browser.current_url
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "folder").send_keys(str(stick))
    submit_and_wait(browser, browser.find_element(By.ID, "import-submit"))
    card = browser.find_element(By.ID, "kiosk-10077")
    assert "2 received, 0 already here, 0 refused" in card.text
    assert all(browser.find_elements(By.ID, f"rid-{rid}") for rid in rids)
    assert (folder / ACK_NAME).is_file()
    browser.save_screenshot("/tmp/console-usb-import-eng.png")
    found = axe_violations(browser)
    assert found == [], [n["html"] for v in found for n in v["nodes"]]
    browser.get(f"{server.url}/console/packets/import?lang=ara")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert axe_violations(browser) == []
    browser.save_screenshot("/tmp/console-usb-import-ara.png")

"""Packets, identities and audit pages in a real browser against a real server process with one
processing worker: a kiosk-made packet is processed, its detail shows the timeline, Reprocess asks
first and is audited, and every page passes axe-core."""

from __future__ import annotations

import datetime as dt
import time

from selenium.webdriver.common.by import By

from shared.packet import BiometricRecord, Document, PacketContents, seal_packet
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.browser import axe_violations, browser_sign_in


def _upload_packet(server, tmp_path) -> str:
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    rid = kiosk.new_rid()
    contents = PacketContents(
        demographics={
            "fullName": "Amina Diallo",
            "dateOfBirth": "1985-02-14",
            "gender": "F",
            "region": "R1",
            "province": "P1",
            "city": "C1",
            "addressLine": "1 Rue de la Paix",
        },
        documents=[Document("DOC001", "application/pdf", b"%PDF-1.4 id", "proofOfIdentity", "id.pdf")],
        biometrics=[
            BiometricRecord(m, s, "ISO19794", 85, {}, b"ISO" + s.encode())
            for m, s in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
        ],
        meta={
            "rid": rid,
            "center_id": "10001",
            "machine_id": kiosk.machine_id,
            "operator_id": "operator1",
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "id_schema_version": 1,
        },
    )
    sealed = seal_packet(
        contents,
        machine_key=kiosk.key,
        recipients=kiosk.enrolment["packet_recipients"],
        out_dir=tmp_path / "outbox",
    )
    data = sealed.path.read_bytes()
    assert kiosk.register(rid, data).status_code in (200, 201)
    kiosk.upload(rid, data)
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

"""A registration whose document comes from a SANE scanner (SANE's real ``test`` backend): the feeder
gives three pages, Add page a fourth from the glass, a SANE host that stops answering, a cover left open
and a scanner unplugged mid-scan are explained and change nothing, the sealed packet holds the four-page PDF; the device bar follows
USB plug and unplug within 2 s, lists a device master data does not allow, and a scanner that comes
back is usable without a restart. Screenshots of the documents page in English and Arabic go to
/tmp/sane-docs-eng.png and /tmp/sane-docs-ara.png.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pyrage
import pytest
from PySide6.QtCore import Qt

from client.core.bootstrap import device_capture
from client.core.capture import DeviceCapture
from client.core.document_scan import DocumentScanning, ScanDefaults
from client.core.settings import ClientSettings
from client.ui.app import build_window
from demo.kiosk_fixture import SAMPLE_PERSON, seeded_kiosk
from demo.samples import capture_group
from device_drivers.allow_list import AllowList
from device_drivers.composition import build_device_manager
from device_drivers.hotplug import HotplugMonitor, SysfsUsbEnumerator
from device_drivers.sane import ScanSettings
from device_drivers.sane import remote as remote_module
from tests.support.sane import (
    pages_in,
    sane_config,  # noqa: F401 - the fixture
    scanner_rows,
    write_sane_config,
)
from tests.support.usb_sysfs import plug, unplug

from .kiosk_steps import choose_document_type, open_registration, sign_off_and_open
from .layout_check import layout_problems

ROWS = scanner_rows(source="adf", resolution_dpi=100, preview_dpi=50, max_pages=3)


def wait_idle(qtbot, panel, timeout=20000) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)


@pytest.fixture
def sane_dir(sane_config):  # noqa: F811 - the SANE test backend for this worker
    return sane_config


def test_a_scanned_document_reaches_the_sealed_packet(qtbot, tmp_path, sane_dir, monkeypatch):
    identity = pyrage.x25519.Identity.generate()
    kiosk = seeded_kiosk(tmp_path / "kiosk", extra_rows=ROWS, recipient=str(identity.to_public()))
    # the kiosk's own wiring (client.core.bootstrap) with OPENREG_CLIENT_DOCUMENT_SCANNER set
    devices = device_capture(
        ClientSettings(data_dir=tmp_path / "kiosk", document_scanner=True), master_data=kiosk.master_data
    )
    devices.refresh()
    window = None
    try:
        window, wizard = open_registration(qtbot, kiosk, devices)
        assert "frontend-tester" in window.device_bar.items.text()
        assert "not allowed" in window.device_bar.items.text()  # test:1 is not in master data
        wizard.pages[0].set_values(SAMPLE_PERSON)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        docs = wizard.stack.currentWidget()
        panel = docs.scan_panel
        assert type(docs).__name__ == "DocumentsPage" and panel is not None
        qtbot.waitUntil(lambda: panel.defaults is not None and panel.source_box.count() == 2, timeout=10000)
        assert [panel.device_box.itemData(i) for i in range(panel.device_box.count())] == ["sane:test:0"]
        assert panel.source_box.currentData() == "adf"  # master data's default
        assert "Proof of identity" in panel.target_label.text()
        qtbot.wait(200)  # laid out
        frame = panel.view.size()

        qtbot.mouseClick(panel.scan_button, Qt.MouseButton.LeftButton)  # no type chosen yet: refused
        assert "Choose the document type first" in panel.error.text() and not panel.busy

        panel.source_box.setCurrentIndex(panel.source_box.findData("flatbed"))
        qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)  # the low-resolution pass
        wait_idle(qtbot, panel)
        assert panel.view.image is not None and panel.view.image.width() == round(210 / 25.4 * 50)

        choose_document_type(docs, "proofOfIdentity", "passport")
        panel.source_box.setCurrentIndex(panel.source_box.findData("adf"))
        window.activateWindow()
        qtbot.keyClick(docs, Qt.Key.Key_F5)  # Scan: every sheet in the feeder, up to master data's 3
        qtbot.waitUntil(lambda: "proofOfIdentity" in wizard.registration.documents, timeout=20000)
        wait_idle(qtbot, panel)
        doc = wizard.registration.documents["proofOfIdentity"]
        assert doc.content_type == "application/pdf" and pages_in(doc.data) == 3
        assert "3 p." in docs.status["proofOfIdentity"].text() and "3 page" in panel.note.text()
        assert not docs.rows["proofOfIdentity"].thumbnail.icon().isNull()  # the first page, not an icon

        panel.source_box.setCurrentIndex(panel.source_box.findData("flatbed"))
        assert panel.add_button.isEnabled()
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: pages_in(wizard.registration.documents["proofOfIdentity"].data) == 4, timeout=20000
        )
        wait_idle(qtbot, panel)
        four = wizard.registration.documents["proofOfIdentity"].data

        good = panel.defaults
        # libsane wedged in its host process: the kiosk stays usable, says so, keeps the document as it
        # was, and the next scan runs in a new host
        wedged = remote_module.running_host_pid()
        assert wedged is not None
        os.kill(wedged, signal.SIGSTOP)
        monkeypatch.setattr(remote_module, "SCAN_TIMEOUT_S", 1.0)
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "The scanner stopped answering" in panel.error.text(), timeout=20000)
        assert wizard.registration.documents["proofOfIdentity"].data is four and not panel.busy
        window.grab().save("/tmp/sane-stopped-eng.png")
        window.ctx.language.set("ara")
        qtbot.wait(100)
        assert "توقف الماسح عن الاستجابة" in panel.error.text()
        window.grab().save("/tmp/sane-stopped-ara.png")
        window.ctx.language.set("eng")
        monkeypatch.undo()
        for status, words in [
            ("SANE_STATUS_COVER_OPEN", "The scanner cover is open"),
            ("SANE_STATUS_IO_ERROR", "disconnected during the scan. Nothing was saved"),
            ("SANE_STATUS_NO_DOCS", "There is no paper in the scanner"),
        ]:
            failing = replace(good.settings, backend_options={"read-return-value": status})
            panel.defaults = ScanDefaults(failing)
            qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda w=words: w in panel.error.text(), timeout=20000)
            assert wizard.registration.documents["proofOfIdentity"].data is four  # nothing half-saved
        panel.defaults = good
        assert panel.view.size() == frame  # pictures and messages never moved the panel

        window.ctx.language.set("eng")
        qtbot.wait(100)  # laid out anew
        window.grab().save("/tmp/sane-docs-eng.png")
        window.ctx.language.set("ara")
        qtbot.wait(100)
        assert "الماسح" in panel.target_label.text()
        assert "لا يوجد ورق" in panel.error.text()  # the last message, worded again in Arabic
        assert panel.view.image is not None  # the failed scan left the last page on show
        window.grab().save("/tmp/sane-docs-ara.png")
        # a 1024x768 screen: the scanner's picture, lists and buttons fit beside the documents, Next
        # stays in sight and nothing scrolls sideways
        window.resize(1024, 768)
        for language in ("ara", "eng"):
            window.ctx.language.set(language)
            qtbot.wait(150)
            assert not layout_problems(window), language
            assert wizard.next_button.visibleRegion().boundingRect().size() == wizard.next_button.size()
        window.resize(1280, 860)

        reg = wizard.registration
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        assert type(wizard.stack.currentWidget()).__name__ == "BiometricsPage"
        for group in dict.fromkeys(g for g, _m, _s in reg.required_slots()):
            reg.record_capture(group=group, records=capture_group(group, seed=1, quality=90))
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        opened = sign_off_and_open(qtbot, window, kiosk, identity, timeout=15000)
        [sealed] = [d for d in opened.contents.documents if d.doc_type == "passport"]
        assert sealed.content_type == "application/pdf" and sealed.data == four and pages_in(sealed.data) == 4
    finally:
        if window is not None:
            window.ctx.ops.wait()
        devices.close()
        kiosk.close()


@pytest.fixture
def usb_root(tmp_path) -> Path:
    root = tmp_path / "sys-bus-usb-devices"
    root.mkdir()
    return root


def test_device_bar_follows_plug_and_unplug_and_a_returning_scanner_works(
    qtbot, tmp_path, sane_dir, usb_root
):
    kiosk = seeded_kiosk(tmp_path / "kiosk", extra_rows=ROWS)
    monitor = HotplugMonitor(enumerator=SysfsUsbEnumerator(usb_root), poll_interval_s=0.25)
    devices = DeviceCapture(
        lambda: build_device_manager(
            barcode=False, document_scanners=True, allow_list=AllowList(), hotplug=monitor
        ),
        device_models=lambda: kiosk.master_data.rows("device_models"),
    )
    devices.refresh()
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.show()
    bar = window.device_bar
    try:
        qtbot.waitUntil(lambda: "frontend-tester" in bar.items.text(), timeout=2000)
        started = time.monotonic()
        plug(usb_root, "1-1", vendor="dead", product="beef", bus=1, address=4)  # not in master data
        qtbot.waitUntil(lambda: "Model beef: not allowed" in bar.items.text(), timeout=2000)
        assert time.monotonic() - started < 2.0
        assert "dead:beef is not in master data" in bar.items.toolTip()
        unplug(usb_root, "1-1")
        qtbot.waitUntil(lambda: "Model beef" not in bar.items.text(), timeout=2000)

        # The second scanner goes away and comes back: libsane is restarted on the USB change, so a
        # scanner plugged back (here: the test backend configured with it again) is there without a restart.
        write_sane_config(sane_dir, devices=1)
        plug(usb_root, "1-2", vendor="1234", product="0001", bus=1, address=5, classes=("03",))
        qtbot.waitUntil(lambda: bar.items.text().count("frontend-tester") == 1, timeout=2000)
        write_sane_config(sane_dir, devices=2)
        unplug(usb_root, "1-2")
        qtbot.waitUntil(lambda: bar.items.text().count("frontend-tester") == 2, timeout=2000)
        quick = ScanSettings(resolution_dpi=75, backend_options={"read-return-value": "Default"})
        scanned = DocumentScanning(devices).scan("sane:test:0", quick)
        assert scanned.page_count == 1  # the scanner kept working across libsane's restart
    finally:
        write_sane_config(sane_dir, devices=2)
        window.ctx.ops.wait()
        devices.close()
        kiosk.close()

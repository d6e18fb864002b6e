"""A whole registration on plain USB devices (issue 20), wired as the kiosk wires them with
OPENREG_CLIENT_DOCUMENT_SCANNER and OPENREG_CLIENT_FINGERPRINT_READER on: the proof of identity is
scanned from SANE's ``test`` scanner (two sheets from the feeder); the fingers are captured one at a
time on libfprint's ``virtual_image`` reader (fed by the test), two are marked missing (the reader is
not asked for them) and the supervisor approves; the sealed packet holds the scanned two-page PDF and
one ISO/IEC 19794-4 record per captured finger."""

from __future__ import annotations

import pyrage
import pytest
from PySide6.QtCore import Qt

from client.core.bootstrap import device_capture
from client.core.settings import ClientSettings
from client.ui.i18n import tr
from demo.kiosk_fixture import SAMPLE_PERSON, seeded_kiosk
from demo.samples import capture_group
from device_drivers.fprint.source import unavailable_reason
from device_drivers.iso import read_iso_record
from tests.support.sane import pages_in, sane_config, scanner_rows  # noqa: F401 - the fixture
from tests.support.virtual_fprint import ALLOW_VIRTUAL, VirtualReader, fprint_host

from .kiosk_steps import (
    approve_as_supervisor,
    choose_document_type,
    open_registration,
    press_capture,
    sign_off_and_open,
)

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
PERSON = 11
# What the reader is given, group by group: the captured fingers with their ISO positions.
CAPTURED = {
    "left_slap": {
        "Left IndexFinger": 7,
        "Left MiddleFinger": 8,
        "Left RingFinger": 9,
        "Left LittleFinger": 10,
    },
    "right_slap": {"Right IndexFinger": 2, "Right MiddleFinger": 3},
    "thumbs": {"Left Thumb": 6, "Right Thumb": 1},
}
MISSING = {"right_slap": ("Right RingFinger", "Right LittleFinger")}  # not asked for; the supervisor approves


@pytest.mark.usefixtures("sane_config")  # SANE's test backend for this worker
def test_a_registration_with_a_sane_scanned_document_and_fingers_from_a_libfprint_reader(
    qtbot, tmp_path, monkeypatch
):
    identity = pyrage.x25519.Identity.generate()
    rows = [*scanner_rows(source="adf", resolution_dpi=100, preview_dpi=50, max_pages=2)]
    rows.append(("device_models", ALLOW_VIRTUAL))  # the virtual reader, allowed by its libfprint driver
    kiosk = seeded_kiosk(tmp_path / "kiosk", extra_rows=rows, recipient=str(identity.to_public()))
    reader = VirtualReader()
    for name, value in reader.env.items():  # the kiosk's libfprint host inherits its environment
        monkeypatch.setenv(name, value)
    settings = ClientSettings(data_dir=tmp_path / "kiosk", document_scanner=True, fingerprint_reader=True)
    devices = device_capture(settings, master_data=kiosk.master_data)
    assert devices is not None
    window = None
    try:
        assert devices.status()["finger"] == "ready"  # discovery over both sources
        reader.attach(fprint_host(devices))
        window, wizard = open_registration(qtbot, kiosk, devices)
        qtbot.waitUntil(lambda: "frontend-tester" in window.device_bar.items.text(), timeout=5000)
        reg = wizard.registration
        wizard.pages[0].set_values(SAMPLE_PERSON)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

        # The proof of identity from the scanner's feeder: every sheet up to master data's two.
        docs = wizard.stack.currentWidget()
        panel = docs.scan_panel
        assert type(docs).__name__ == "DocumentsPage" and panel is not None
        qtbot.waitUntil(lambda: panel.defaults is not None and panel.source_box.count() == 2, timeout=10000)
        assert panel.source_box.currentData() == "adf" and "Proof of identity" in panel.target_label.text()
        choose_document_type(docs, "proofOfIdentity", "passport")
        press_capture(qtbot, window, docs)  # F5: Scan
        qtbot.waitUntil(lambda: "proofOfIdentity" in reg.documents, timeout=20000)
        qtbot.waitUntil(lambda: not panel.busy, timeout=20000)
        scanned = reg.documents["proofOfIdentity"].data
        assert reg.documents["proofOfIdentity"].content_type == "application/pdf" and pages_in(scanned) == 2
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

        # The fingers, one at a time on the reader; those marked missing are not asked for.
        bio = wizard.stack.currentWidget()
        assert type(bio).__name__ == "BiometricsPage"
        for group, fingers in MISSING.items():
            for finger in fingers:
                bio.panels[group].markers[finger].setChecked(True)
        for group, fingers in CAPTURED.items():
            reader.fingers(*((position, 0) for position in fingers.values()), person=PERSON)
            bio.side.select(group)
            press_capture(qtbot, window, bio)
            qtbot.waitUntil(lambda g=group: reg.attempts.get(g) == 1, timeout=30000)
            assert bio.panels[group].message.text() == tr("bio.accepted", "eng")
        assert not reader.script  # each finger given was asked for, and no other
        qtbot.waitUntil(lambda: len(reader.sent) == 8)
        for group in ("irises", "face"):  # no iris or face device here: the demo's records
            reg.record_capture(group=group, records=capture_group(group, seed=3, quality=90))
        photo = tmp_path / "exception.png"
        window.grab().save(str(photo))
        reg.set_exception_photo(photo.read_bytes())
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        approve_as_supervisor(wizard.supervisor_dialog)  # fingers missing: the supervisor approves
        opened = sign_off_and_open(qtbot, window, kiosk, identity)
    finally:
        if window is not None:
            window.ctx.ops.wait()
        devices.close()
        kiosk.close()
        reader.close()

    [document] = [d for d in opened.contents.documents if d.doc_type == "passport"]
    assert document.content_type == "application/pdf" and document.data == scanned
    assert pages_in(document.data) == 2
    fingers = {b.bio_subtype: b for b in opened.contents.biometrics if b.modality == "finger"}
    positions = {sub: pos for captured in CAPTURED.values() for sub, pos in captured.items()}
    for subtype, position in positions.items():
        [image] = read_iso_record(fingers[subtype].data).fingers
        assert (image.bio_subtype, image.position) == (subtype, position) and not fingers[subtype].exception
    missing = {sub for subs in MISSING.values() for sub in subs}
    assert {s for s, b in fingers.items() if b.exception} == missing
    assert {(e["bio_subtype"], e["reason"]) for e in opened.contents.exceptions} == {
        (s, "missing") for s in missing
    }

"""A registration whose fingers come from a single-finger reader through libfprint (its virtual_image
reader, fed by the test): the biometrics page asks finger by finger, asks a misplaced finger again, skips
a finger marked missing, and the sealed packet holds one ISO/IEC 19794-4 record per finger. Screenshots
of the page mid-pass go to /tmp/fprint-bio-eng.png and /tmp/fprint-bio-ara.png."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from client.core.capture import DeviceCapture
from client.ui.app import build_window
from client.ui.i18n import tr
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, seeded_kiosk
from demo.samples import capture_group
from demo.synthetic import person_finger
from device_drivers.fprint.source import FprintSource, unavailable_reason
from device_drivers.iso import read_iso_record
from device_drivers.manager import DeviceManager
from tests.support.virtual_fprint import (
    RETRY_NOT_CENTRED,
    VirtualReader,
    fprint_host,
    image_message,
    virtual_allowed,
)

from .conftest import sign_in
from .kiosk_steps import approve_as_supervisor, choose_document_type, press_capture, sign_off_and_open

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
PERSON = 7


def test_a_registration_finger_by_finger_on_a_libfprint_reader(qtbot, tmp_path):
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    kiosk = seeded_kiosk(tmp_path / "kiosk", recipient=str(identity.to_public()))
    reader = VirtualReader()
    asked = []
    devices = DeviceCapture(
        lambda: DeviceManager(
            {"fprint": lambda: FprintSource(allow_list=virtual_allowed(), host=reader.host())}
        )
    )
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.resize(1200, 820)
    window.show()
    try:
        sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
        qtbot.waitUntil(lambda: window.current_name() == "home")
        home = window.screens["home"]
        qtbot.waitUntil(lambda: "finger: ready" in home.devices_label.text(), timeout=15000)
        devices.refresh()
        fprint_host(devices).subscribe(  # count the reader's requests for a finger
            lambda e: asked.append(e) if e.get("event") == "finger_needed" else None
        )
        window.show_screen("registration")
        wizard = window.screens["registration"]
        qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled())
        wizard.pages[0].set_values(SAMPLE_PERSON)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        docs = wizard.stack.currentWidget()
        scan = tmp_path / "passport.png"
        window.grab().save(str(scan))
        for field_id in docs.field_ids:
            choose_document_type(docs, field_id)
            docs.attach(field_id, scan)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        bio = wizard.stack.currentWidget()
        assert type(bio).__name__ == "BiometricsPage"
        reg = wizard.registration

        # Left hand: four fingers, one capture each, one attempt for the group.
        reader.fingers((7, 0), (8, 0), (9, 0), (10, 0), person=PERSON)
        bio.side.select("left_slap")
        press_capture(qtbot, window, bio)
        qtbot.waitUntil(lambda: reg.attempts.get("left_slap") == 1, timeout=30000)
        left = bio.panels["left_slap"]
        assert left.message.text() == tr("bio.accepted", "eng")
        assert {s for (m, s) in reg.captures if m == "finger"} == set(left.subtypes)

        # Right hand: the first finger is not centred; the page asks for it again.
        reader.script.append(RETRY_NOT_CENTRED)
        bio.side.select("right_slap")
        press_capture(qtbot, window, bio)
        qtbot.waitUntil(lambda: len(asked) == 4 + 2, timeout=15000)  # asked again, nothing sent yet
        right = bio.panels["right_slap"]
        qtbot.waitUntil(lambda: "Place it again" in right.message.text())
        assert right.message.text().startswith("The finger was not in the middle of the reader.")
        assert "Finger 1 of 4: Right index finger" in right.message.text()
        window.grab().save("/tmp/fprint-bio-eng.png")
        assert right.thumbnails["Right IndexFinger"].lineWidth() == 3  # the finger asked for stands out
        window.language_box.setCurrentIndex(window.language_box.findData("ara"))
        assert "الإصبع 1 من 4" in right.message.text()  # the prompt follows the language
        qtbot.wait(200)  # the mirrored layout settles
        window.grab().save("/tmp/fprint-bio-ara.png")
        window.language_box.setCurrentIndex(window.language_box.findData("eng"))
        reader.fingers((3, 0), (4, 0), (5, 0), person=PERSON)
        threading.Thread(target=reader.send, args=(image_message(person_finger(PERSON, 2)),)).start()
        qtbot.waitUntil(lambda: reg.attempts.get("right_slap") == 1, timeout=30000)
        assert right.message.text() == tr("bio.accepted", "eng") and reg.attempts.get("right_slap") == 1

        # Thumbs with the left thumb marked missing: only the right thumb is asked for.
        bio.panels["thumbs"].markers["Left Thumb"].setChecked(True)
        reader.fingers((1, 0), person=PERSON)
        bio.side.select("thumbs")
        press_capture(qtbot, window, bio)
        qtbot.waitUntil(lambda: reg.attempts.get("thumbs") == 1, timeout=30000)
        assert ("finger", "Right Thumb") in reg.captures and ("finger", "Left Thumb") not in reg.captures
        assert len(asked) == 4 + 2 + 3 + 1

        for group in ("irises", "face"):  # no iris or face device here: the demo's records
            reg.record_capture(group=group, records=capture_group(group, seed=3, quality=90))
        reg.set_exception_photo(scan.read_bytes())
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        approve_as_supervisor(wizard.supervisor_dialog)  # the missing thumb needs the supervisor
        opened = sign_off_and_open(qtbot, window, kiosk, identity)
    finally:
        window.ctx.ops.wait()
        devices.close()
        kiosk.close()
        reader.close()
    fingers = {b.bio_subtype: b for b in opened.contents.biometrics if b.modality == "finger"}
    assert len(fingers) == 10 and fingers["Left Thumb"].exception
    for subtype, entry in fingers.items():
        if subtype == "Left Thumb":
            continue
        [image] = read_iso_record(entry.data).fingers
        assert image.bio_subtype == subtype and image.compression == "jp2" and entry.quality >= 60
    assert [(e["bio_subtype"], e["reason"]) for e in opened.contents.exceptions] == [
        ("Left Thumb", "missing")
    ]

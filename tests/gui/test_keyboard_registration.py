"""A whole registration with the keyboard only: sign-in, the form, documents from the document camera,
biometrics from the SBI simulator with a missing finger, the supervisor's approval by Enter, the
officer's re-authentication and the receipt; then the sealed packet is checked."""

from __future__ import annotations

import cv2
import pyrage

from client.ui.app import build_window
from demo.keyboard_officer import KeyboardOfficer
from demo.keyboard_registration import register_by_keyboard
from demo.kiosk_fixture import OPERATOR, SUPERVISOR, seeded_kiosk
from demo.synthetic import synthetic_document
from shared.packet.reader import open_packet
from shared.signing import public_key_b64
from tests.support.devices import kiosk_devices


def test_a_whole_registration_by_keyboard(qtbot, sbi_simulator, tmp_path):
    sbi_simulator.admin(reset=True)
    identity = pyrage.x25519.Identity.generate()
    kiosk = seeded_kiosk(tmp_path / "kiosk", recipient=str(identity.to_public()))
    camera = tmp_path / "camera"
    camera.mkdir()
    for i in range(5):
        cv2.imwrite(str(camera / f"{i:03}.png"), synthetic_document(lines=("PASSPORT",), seed=i))
    devices = kiosk_devices(
        device_ca_file=sbi_simulator.ca_pem,
        sbi_ports=(sbi_simulator.port, sbi_simulator.port),
        document_camera=str(camera),
    )
    window = build_window(kiosk, devices=devices)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    window.activateWindow()  # keys go to the focused widget of the active window
    officer = KeyboardOfficer(window)
    try:
        rid = register_by_keyboard(officer, window)
        opened = open_packet(
            window.screens["preview"].finished.packet_path,
            identities=[str(identity)],
            machine_public_key=public_key_b64(kiosk.machine.private_key()),
        )
    finally:
        officer.done()
        window.ctx.ops.wait()
        devices.close()
        kiosk.close()
    packet = opened.contents
    assert packet.rid == rid and packet.demographics["fullName"] == "Amina Diallo"
    assert packet.demographics["dateOfBirth"] == "1991-04-12"
    assert len(packet.documents) == 2 and all(d.content_type == "image/jpeg" for d in packet.documents)
    assert [(e["modality"], e["bio_subtype"], e["reason"]) for e in packet.exceptions] == [
        ("finger", "Left IndexFinger", "missing")
    ]
    fingers = {b.bio_subtype: b for b in packet.biometrics if b.modality == "finger"}
    assert len(fingers) == 10 and fingers["Left IndexFinger"].exception  # an exception record, no image
    assert all(b.data and b.quality > 0 for s, b in fingers.items() if s != "Left IndexFinger")
    assert [b.modality for b in packet.biometrics if b.modality == "exception_photo" and b.data]
    assert packet.meta["supervisor_id"] == SUPERVISOR[0] and packet.meta["operator_id"] == OPERATOR[0]
    assert officer.stray_windows == []  # no widget flashed up as a window of its own
    assert officer.keys < 150, officer.keys
    assert max(officer.paints.values()) < 1000  # generous under a loaded CI machine; the bench reports ms

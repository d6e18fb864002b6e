"""Biometrics page over the real SBI client and the SBI simulator process: live preview, capture of
every group with quality bars, one missing finger marked as an exception."""

from __future__ import annotations

from PySide6.QtCore import Qt

from client.core.capture import DeviceCapture
from client.ui.app import build_window
from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON
from tests.support.devices import kiosk_devices

from .conftest import sign_in


def sbi_source(sim) -> DeviceCapture:
    return kiosk_devices(device_ca_file=sim.ca_pem, sbi_ports=(sim.port, sim.port))


def test_capture_all_groups_from_the_simulator(qtbot, kiosk, sbi_simulator):
    sbi_simulator.admin(reset=True)
    source = sbi_source(sbi_simulator)
    assert set(source.status()) == {"finger", "iris", "face"}
    window = build_window(kiosk, devices=source)
    qtbot.addWidget(window)
    window.resize(1200, 820)
    window.show()
    try:
        sign_in(qtbot, window, OPERATOR[0], OPERATOR[2])
        qtbot.waitUntil(lambda: window.current_name() == "home")
        home = window.screens["home"]
        qtbot.waitUntil(lambda: "finger: ready" in home.devices_label.text(), timeout=10000)
        window.show_screen("registration")
        wizard = window.screens["registration"]
        qtbot.waitUntil(lambda: bool(wizard.pages))
        reg = wizard.registration
        reg.submit_demographics(SAMPLE_PERSON)
        reg.add_document(
            field_id="proofOfIdentity",
            doc_type="passport",
            name="p.png",
            content_type="image/png",
            data=b"x" * 100,
        )
        reg.submit_documents()
        wizard.stack.setCurrentIndex(len(wizard.pages) - 1)
        bio = wizard.stack.currentWidget()
        assert type(bio).__name__ == "BiometricsPage"
        qtbot.waitUntil(lambda: bio._frames_shown > 3, timeout=10000)  # live preview from the SBI stream
        bio.panels["left_slap"].markers["Left LittleFinger"].setChecked(True)
        for group in bio.panels:
            qtbot.keyClick(bio, Qt.Key.Key_F5)
            qtbot.waitUntil(lambda g=group: reg.attempts.get(g, 0) >= 1, timeout=15000)
        assert ("finger", "Left LittleFinger") in reg.exceptions
        assert all(c.quality > 0 and c.device.get("serial") for c in reg.captures.values())
        assert bio.panels["irises"].bars["Left"].value() == reg.captures[("iris", "Left")].quality
        assert len(reg.captures) == 10 + 2 + 1 - 1
    finally:
        window.ctx.ops.wait()
        source.close()

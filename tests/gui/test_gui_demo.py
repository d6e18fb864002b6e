"""The GUI demo's wiring (demo.gui.demo_backend + client.ui.app.open_kiosk, what ``openreg demo`` runs with
a display): the kiosk enrols with the demo server, finds the simulator's devices and completes a
registration with their captures."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from client.core.totp import totp_code
from client.ui.app import open_kiosk
from demo.gui import demo_backend
from demo.headless import OPERATOR_PASSWORD, SUPERVISOR, SUPERVISOR_PASSWORD

from .kiosk_steps import answer_reauth, enrol, start_registration_to_biometrics

pytestmark = pytest.mark.gui


def test_gui_demo_completes_a_registration_with_the_simulator(qtbot, tmp_path):
    with demo_backend(tmp_path / "demo", echo=lambda _m: None) as settings:
        assert settings.device_ca_file is not None and settings.device_ca_file.exists()
        client, window = open_kiosk(settings)
        qtbot.addWidget(window)
        window.show()
        try:
            qtbot.waitUntil(lambda: window.ctx.devices is not None, timeout=20_000)
            status = window.ctx.devices.status()
            assert {k: status.get(k) for k in ("finger", "iris", "face")} == dict.fromkeys(
                ("finger", "iris", "face"), "ready"
            ), status

            enrol(qtbot, window, settings.server_url)
            wizard = start_registration_to_biometrics(qtbot, window, tmp_path)
            bio = wizard.stack.currentWidget()
            for group in bio.panels:
                bio.capture(group)
                qtbot.waitUntil(lambda g=group: wizard.registration.attempts.get(g, 0) >= 1, timeout=20_000)
            qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
            if window.current_name() != "preview":  # the spec may still ask a supervisor to approve
                dialog = wizard.supervisor_dialog
                dialog.user.setText(SUPERVISOR)
                dialog.password.setText(SUPERVISOR_PASSWORD)
                dialog.totp.setText(totp_code(client.master_data.get("users", SUPERVISOR)["totp_secret"]))
                dialog.attempt()
            qtbot.waitUntil(lambda: window.current_name() == "preview", timeout=10_000)
            preview = window.screens["preview"]
            answer_reauth(OPERATOR_PASSWORD)
            qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: preview.finished is not None, timeout=30_000)
            assert preview.finished.rid
        finally:
            window.ctx.ops.wait()
            if window.ctx.devices is not None:
                window.ctx.devices.close()
            client.close()

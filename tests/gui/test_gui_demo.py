"""The GUI demo's wiring (demo.gui.demo_backend + client.ui.app.open_kiosk, what ``openreg demo`` runs with
a display): the kiosk reaches the demo server and finds the simulator's finger, iris and face devices."""

from __future__ import annotations

import pytest

from client.ui.app import open_kiosk
from demo.gui import demo_backend

pytestmark = pytest.mark.gui


def test_gui_demo_kiosk_gets_the_simulator_devices(qtbot, tmp_path):
    with demo_backend(tmp_path / "demo", echo=lambda _m: None) as settings:
        assert settings.device_ca_file is not None and settings.device_ca_file.exists()
        client, window = open_kiosk(settings)
        qtbot.addWidget(window)
        try:
            qtbot.waitUntil(lambda: window.ctx.devices is not None, timeout=20_000)
            status = window.ctx.devices.status()
            assert {k: status.get(k) for k in ("finger", "iris", "face")} == dict.fromkeys(
                ("finger", "iris", "face"), "ready"
            ), status
            assert client.settings.server_url == settings.server_url
        finally:
            window.ctx.ops.wait()
            window.ctx.devices.close()
            client.close()

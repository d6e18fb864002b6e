"""The real windows against a real server process and the SBI simulator: first-run enrolment and
sync, login, a registration with one missing finger and supervisor approval, end-of-day approval,
upload, and the server's status (UIN or rejection) shown in the sync centre.

Skips until the sync server (issue 3) and the packet builder (issue 2) are importable.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.core.totp import totp_code
from client.ui.app import build_window
from demo.headless import (
    OPERATOR_PASSWORD,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
)

from .conftest import sign_in
from .kiosk_steps import (
    answer_reauth,
    approve_all_with_password,
    enrol,
    start_registration_to_biometrics,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def server(start_sync_server, tmp_path):
    """A demo server that processes what it receives, so the sync centre can show a UIN."""
    return start_sync_server(tmp_path / "server", workers=1).url


def test_whole_day_at_the_kiosk(qtbot, tmp_path, server, sbi_simulator):
    sbi_simulator.admin(reset=True)
    settings = ClientSettings(
        data_dir=tmp_path / "kiosk",
        keyring_file=tmp_path / "k.cfg",
        device_ca_file=sbi_simulator.ca_pem,
        sbi_ports=(sbi_simulator.port, sbi_simulator.port),
    )
    client = build_client(settings)
    devices = client.devices
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    try:
        enrol(qtbot, window, server)
        wizard = start_registration_to_biometrics(qtbot, window, tmp_path)
        bio = wizard.stack.currentWidget()
        bio.panels["left_slap"].markers["Left IndexFinger"].setChecked(True)
        for group in bio.panels:
            bio.capture(group)
            qtbot.waitUntil(lambda g=group: wizard.registration.attempts.get(g, 0) >= 1, timeout=20000)
        bio.take_exception_photo()
        qtbot.waitUntil(lambda: wizard.registration.exception_photo is not None, timeout=20000)
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
        dialog = wizard.supervisor_dialog
        secret = client.master_data.get("users", SUPERVISOR)["totp_secret"]
        dialog.user.setText(SUPERVISOR)
        dialog.password.setText(SUPERVISOR_PASSWORD)
        dialog.totp.setText(totp_code(secret))
        dialog.attempt()
        qtbot.waitUntil(lambda: window.current_name() == "preview", timeout=10000)
        preview = window.screens["preview"]
        answer_reauth(OPERATOR_PASSWORD)
        qtbot.mouseClick(preview.sign_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: preview.finished is not None, timeout=30000)
        rid = preview.finished.rid

        window.lock()
        window.screens["lock"].switch.click()
        sign_in(qtbot, window, SUPERVISOR, SUPERVISOR_PASSWORD)
        qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10000)
        home = window.screens["home"]  # enrolment synced master data: that is the last sync, here and now
        qtbot.waitUntil(lambda: "never" not in home.sync_label.text() and bool(home.place_label.text()))
        assert "Capital Central" in home.place_label.text() and "10001" in home.place_label.text()
        window.show_screen("end_of_day")
        eod = window.screens["end_of_day"]
        qtbot.waitUntil(lambda: eod.table.rowCount() == 1, timeout=10000)
        approve_all_with_password(qtbot, eod, SUPERVISOR_PASSWORD)  # asks once more, then the password
        qtbot.waitUntil(lambda: eod.table.rowCount() == 0, timeout=10000)

        window.show_screen("sync")
        sync = window.screens["sync"]
        deadline = time.monotonic() + 60
        final = None
        while time.monotonic() < deadline and final is None:
            qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not sync.running, timeout=30000)
            row = sync.items.get(rid)
            status = sync.table.item(row, 2).text() if row is not None and sync.table.item(row, 2) else ""
            if status in {"processed", "rejected"}:
                final = (status, sync.table.item(row, 3).text())
            else:
                qtbot.wait(1000)
        assert final is not None, sync.message.text()
        assert final[0] == "processed" and final[1], final  # the UIN is shown beside the RID
    finally:
        window.ctx.ops.wait()
        devices.close()
        client.close()

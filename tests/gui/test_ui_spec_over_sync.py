"""An admin imports a new UI spec on a real server; after the sync centre's next run the wizard shows it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.ui.app import build_window
from demo.headless import CENTER_ID, OPERATOR, OPERATOR_PASSWORD
from demo.kiosk_fixture import DEMO_DATA

from .conftest import sign_in

pytestmark = pytest.mark.gui


def open_wizard(qtbot, window):
    window.show_screen("registration")
    wizard = window.screens["registration"]
    qtbot.waitUntil(lambda: bool(wizard.pages) and wizard.next_button.isEnabled(), timeout=10000)
    return wizard


def import_spec_without_email(server, tmp_path) -> None:
    """What an admin does: bump the UI spec version, drop a field, relabel one, import the file."""
    doc = json.loads((DEMO_DATA / "ui_spec.json").read_text())
    row = copy.deepcopy(doc["entities"]["ui_spec"][0])
    row["version"] += 1
    row["spec"]["version"] += 1
    screen = row["spec"]["screens"][0]
    screen["fields"] = [f for f in screen["fields"] if f["id"] != "email"]
    full_name = next(f for f in screen["fields"] if f["id"] == "fullName")  # after the consent field
    full_name["labels"]["eng"] = "Name as on the ID card"
    path = tmp_path / "ui_spec_v2.json"
    path.write_text(json.dumps({**doc, "entities": {"ui_spec": [row]}}))
    cmd = [sys.executable, "-m", "shared", "admin", "masterdata", "import", str(path)]
    subprocess.run([*cmd, "--data", str(server.data_dir)], check=True, capture_output=True, timeout=60)


def test_ui_spec_change_reaches_the_form_after_sync(qtbot, tmp_path, sync_server):
    settings = ClientSettings(
        data_dir=tmp_path / "kiosk", keyring_file=tmp_path / "k.cfg", server_url=sync_server.url
    )
    client = build_client(settings)
    client.enrolment().wait_for_approval(center_id=CENTER_ID, timeout_s=20, poll_s=0.3)
    client.master_data_sync().sync()
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    try:
        sign_in(qtbot, window, OPERATOR, OPERATOR_PASSWORD)
        qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10000)
        wizard = open_wizard(qtbot, window)
        assert "email" in wizard.pages[0].inputs
        wizard.cancel()

        import_spec_without_email(sync_server, tmp_path)
        window.show_screen("sync")
        sync = window.screens["sync"]
        qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: sync.running, timeout=5000)
        qtbot.waitUntil(lambda: not sync.running, timeout=30000)

        page = open_wizard(qtbot, window).pages[0]
        assert "email" not in page.inputs, sync.message.text()
        assert page._labels["fullName"][0].text() == "Name as on the ID card *"
    finally:
        window.ctx.ops.wait()
        client.close()

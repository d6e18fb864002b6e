"""A damaged sealed packet is visible where people look: the sync centre marks it and says to tell
the supervisor, the home screen counts it, and the supervisor's end-of-day screen warns about it;
the healthy packet beside it is uploaded in the same run. Real server process, real SQLCipher store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

import demo.headless as demo
from client.core.bootstrap import build_client
from client.ui.app import build_window
from tests.integration.client.kiosk_child import settings

from .conftest import sign_in

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")
pytestmark = pytest.mark.gui


def test_a_quarantined_packet_shows_in_sync_centre_home_and_end_of_day(qtbot, tmp_path, start_sync_server):
    server = start_sync_server(tmp_path / "server")
    client = build_client(settings(tmp_path / "kiosk", tmp_path / "kiosk.kr", server.url))
    try:
        client.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
        client.master_data_sync().sync()
        damaged, healthy = demo.register_people(client, count=2, echo=lambda _m: None)
        supervisor = client.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in (damaged, healthy):
            client.end_of_day.approve(session=supervisor, rid=rid)
        with client.store.transaction() as conn:
            path = conn.execute(text("SELECT packet_path FROM registrations WHERE rid = :r"), {"r": damaged})
            Path(path.scalar_one()).unlink()

        window = build_window(client)
        qtbot.addWidget(window)
        window.show()
        sign_in(qtbot, window, demo.SUPERVISOR, demo.SUPERVISOR_PASSWORD)
        qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10000)
        window.show_screen("sync")
        sync = window.screens["sync"]
        qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not sync.running, timeout=30000)

        def cell(rid: str, column: int) -> str:
            return sync.table.item(sync.items[rid], column).text()

        assert cell(damaged, 2) == "damaged, set aside" and cell(damaged, 3) == "The sealed file is missing."
        assert (
            sync.table.item(sync.items[damaged], 3).toolTip().startswith("missing:")
        )  # the cause, for support
        assert cell(healthy, 2) == "received"  # uploaded, and the status poll says what the server holds
        assert "cannot be uploaded" in sync.message.text() and "Tell the supervisor" in sync.message.text()

        window.show_screen("home")
        home = window.screens["home"]
        qtbot.waitUntil(lambda: home.cards["quarantined"].number.text() == "1", timeout=10000)

        window.show_screen("end_of_day")
        eod = window.screens["end_of_day"]
        qtbot.waitUntil(lambda: eod.quarantined.isVisible(), timeout=10000)
        assert eod.quarantined.text().startswith("1 sealed packet(s) on this kiosk are damaged")
        window.ctx.language.set("fra")
        assert "endommagés" in eod.quarantined.text()
        window.ctx.ops.wait()
    finally:
        client.close()

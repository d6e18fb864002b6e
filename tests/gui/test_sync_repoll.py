"""Sync centre (issue 14): after an upload the statuses are asked again a few times on their own, so a
UIN the server issues later appears without a second manual sync; a rejection is worded in the kiosk
language."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

import demo.headless as demo
from client.core.bootstrap import build_client
from client.ui.app import build_window
from client.ui.i18n import tr
from client.ui.screens.sync_centre import outcome_words
from tests.integration.client.kiosk_child import settings

from .conftest import sign_in

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")
pytestmark = pytest.mark.gui


def start_worker(server_dir):
    """Process what the server received (its worker command, as ``openreg worker``)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sync_server.worker_cli import worker; worker()",
            "--db",
            f"sqlite:///{server_dir / 'server.db'}",
            "--data",
            str(server_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=os.getcwd(),
    )


def test_a_uin_issued_after_the_upload_appears_without_a_second_sync(qtbot, tmp_path, start_sync_server):
    server_dir = tmp_path / "server"
    server = start_sync_server(server_dir, workers=0)  # nothing processed until the worker starts
    client = build_client(settings(tmp_path / "kiosk", tmp_path / "kiosk.kr", server.url))
    worker = None
    try:
        client.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
        client.master_data_sync().sync()
        (rid,) = demo.register_people(client, count=1, echo=lambda _m: None)
        supervisor = client.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        client.end_of_day.approve(session=supervisor, rid=rid)
        window = build_window(client)
        qtbot.addWidget(window)
        window.show()
        sign_in(qtbot, window, demo.OPERATOR, demo.OPERATOR_PASSWORD)
        qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10000)
        window.show_screen("sync")
        sync = window.screens["sync"]
        sync.repoll_delays_s = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # the same schedule, shorter for a test
        qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not sync.running, timeout=30000)
        row = sync.items[rid]
        assert sync.table.item(row, 2).text() in {"received", "registered"}  # no outcome yet
        assert sync.repoll_timer.isActive()  # asking again on its own
        worker = start_worker(server_dir)
        qtbot.waitUntil(lambda: sync.table.item(row, 2).text() == "processed", timeout=40000)
        assert sync.table.item(row, 3).text().isdigit()  # the UIN, with no second click
        assert not sync.repoll_timer.isActive() and not sync._repolls  # final: the schedule stopped
        window.ctx.ops.wait()
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        client.close()


def test_rejections_are_worded_in_the_kiosk_language():
    def words(code, reason, language):
        return outcome_words(code, reason, lambda key, **kw: tr(key, language, **kw), language)

    assert words("duplicate", "duplicate of UIN 123", "ara") == "تكرار لتسجيل موجود"
    assert words("duplicate", "duplicate of UIN 123", "eng") == "Duplicate of an existing registration"
    assert words("supervisor_rejected", "Photo does not match", "fra") == (
        "Rejeté par le superviseur: Photo does not match"
    )
    assert words("new_code", "why", "eng") == "[new_code] why"  # a code this build does not know

"""The kiosk against a real server process on a free port: enrol, sync, register, approve, upload, status;
bad signatures refused; offline work continues and uploads retry; SIGKILL during upload never duplicates."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")
pytest.importorskip("shared.packet", reason="shared.packet (issue 2) is not in this tree yet")

import demo.headless as demo
from client.core.bootstrap import build_client
from client.core.sync.master_data_sync import MasterDataRefused
from shared import __version__
from tests.integration.client.kiosk_child import settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def server(start_sync_server, tmp_path):
    """A demo server that also processes packets, so statuses come back with a UIN."""
    return start_sync_server(tmp_path / "server", workers=1)


def enrolled_kiosk(tmp_path, server, name="kiosk"):
    data, keyring = tmp_path / name, tmp_path / f"{name}.kr"
    app = build_client(settings(data, keyring, server.url))
    app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    app.close()
    app = build_client(settings(data, keyring, server.url))
    return app, data, keyring


def statuses(app):
    with app.store.transaction() as conn:
        return dict(conn.execute(text("SELECT rid, status FROM registrations")).all())


def test_end_to_end_register_approve_upload_status(tmp_path, server):
    app, _, _ = enrolled_kiosk(tmp_path, server)
    try:
        progress = []
        result = app.master_data_sync().sync(progress=progress.append)
        assert result.rows > 0 and progress[-1].phase == "done"
        assert app.master_data.rows("users") and app.master_data.form_engine().ui_spec is not None
        # the kiosk names its version (User-Agent); the server keeps it for the console's machines page
        with sqlite3.connect(server.data_dir / "server.db") as db:
            assert db.execute("SELECT software_version FROM machines").fetchall() == [(__version__,)]
        rids = demo.register_people(app, count=3, echo=lambda _m: None)
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in rids[:2]:
            app.end_of_day.approve(session=supervisor, rid=rid)
        app.end_of_day.reject(session=supervisor, rid=rids[2], reason="photo does not match")
        report = app.upload_agent().upload_approved()
        assert (
            report.ok
            and sorted(report.uploaded) == sorted(rids[:2])
            and report.rejected_reported == [rids[2]]
        )
        polled = {s.rid: s.status for s in app.packet_outcomes().poll_statuses()}
        assert set(polled) == set(rids[:2]) and "unknown" not in polled.values()
        assert app.master_data_sync().sync().rows == 0  # nothing new: the cursor held
    finally:
        app.close()


def test_pre_registrations_of_this_center_arrive_by_sync_and_prefill_the_form(tmp_path, server):
    app, _, _ = enrolled_kiosk(tmp_path, server)
    try:
        app.master_data_sync().sync()
        operator = app.authentication.login(user_id=demo.OPERATOR, password=demo.OPERATOR_PASSWORD)
        reg = app.registrations.start(session=operator, prereg_id="PRE-2026-0001")  # demo data, center 10001
        assert reg.values["fullName"] == "Karim Nasser" and reg.values["city"] == "R1P1C2"
        assert app.registrations.find_preregistration("PRE-2026-0002") is None  # booked at center 10002

        booked = tmp_path / "preregistrations.json"
        row = {"id": "PRE-9", "center_id": demo.CENTER_ID, "data": {"fullName": "Nadia Farouk"}}
        booked.write_text(
            json.dumps({"format": "openreg-masterdata/1", "entities": {"preregistrations": [row]}})
        )
        cmd = [sys.executable, "-m", "shared", "admin", "masterdata", "import", str(booked)]
        subprocess.run([*cmd, "--data", str(server.data_dir)], check=True, capture_output=True, timeout=60)
        assert app.registrations.find_preregistration("PRE-9") is None
        app.master_data_sync().sync()
        assert app.registrations.find_preregistration("PRE-9") == {"fullName": "Nadia Farouk"}
    finally:
        app.close()


def test_master_data_with_a_bad_signature_is_refused_and_nothing_applied(tmp_path, server, monkeypatch):
    app, _, _ = enrolled_kiosk(tmp_path, server)
    try:
        from client.core.sync import http

        real_snapshot = http.HttpServer.snapshot

        def tampered(self):
            signed = real_snapshot(self)
            return type(signed)(
                body=signed.body[:-1] + bytes([signed.body[-1] ^ 1]), signature=signed.signature
            )

        monkeypatch.setattr(http.HttpServer, "snapshot", tampered)
        with pytest.raises(MasterDataRefused, match="bad signature"):
            app.master_data_sync().sync()
        assert app.master_data.count() == 0 and app.master_data_sync().cursor() is None
    finally:
        app.close()


def test_server_unreachable_work_continues_offline_and_upload_retries(tmp_path, server):
    app, data, keyring = enrolled_kiosk(tmp_path, server)
    app.master_data_sync().sync()
    server.stop()
    try:
        rids = demo.register_people(
            app, count=2, echo=lambda _m: None
        )  # offline: login, form, sealing all work
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in rids:
            app.end_of_day.approve(session=supervisor, rid=rid)
        app.settings.upload_max_attempts = 2
        report = app.upload_agent().upload_approved()
        assert set(report.failed) == set(rids) and set(statuses(app).values()) == {"approved"}
    finally:
        app.close()
    server.restart()
    app = build_client(settings(data, keyring, server.url))
    try:
        assert app.upload_agent().upload_approved().ok
        assert set(statuses(app).values()) == {"uploaded"}
    finally:
        app.close()


def test_sigkill_during_upload_resumes_without_duplicates(tmp_path, server):
    app, data, keyring = enrolled_kiosk(tmp_path, server)
    try:
        app.master_data_sync().sync()
        rids = demo.register_people(app, count=3, echo=lambda _m: None)
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in rids:
            app.end_of_day.approve(session=supervisor, rid=rid)
    finally:
        app.close()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    for _ in range(4):
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.client.kiosk_child",
                "upload",
                str(data),
                str(keyring),
                server.url,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.5, 1.5))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=10)
    app = build_client(settings(data, keyring, server.url))
    try:
        assert app.upload_agent().upload_approved().ok
        assert set(statuses(app).values()) == {"uploaded"}
        polled = app.packet_outcomes().poll_statuses()
        assert sorted(s.rid for s in polled) == sorted(rids)  # each RID exactly once on the server
        assert all(s.status != "unknown" for s in polled)
    finally:
        app.close()


def test_headless_demo_issues_uins_then_holds_the_same_people_for_an_adjudicator(tmp_path):
    def demo_run() -> str:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "shared", "demo", "--headless", "--data", str(tmp_path / "demo")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("OK:") == 1
        assert time.monotonic() - started < 30
        return result.stdout

    assert demo_run().count(" UIN ") == 4
    # Same people, same server: each waits for an adjudicator (an exact demographic match is not
    # rejected without a person); the status reply carries the code and the text, the kiosk keeps both.
    second = demo_run()
    assert second.count("held (adjudication): possible duplicate of 1 identity(ies)") == 4, second

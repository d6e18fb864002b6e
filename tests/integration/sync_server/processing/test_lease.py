"""Claims hold a short lease that the worker renews while a packet runs (real worker processes, real
stages, SQLite and PostgreSQL): a SIGKILLed worker's packet is taken over within seconds with the
production default lease, and a packet that runs longer than the lease is not taken from a live worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from sync_server.processing import queue
from sync_server.processing.tables import processing_jobs
from tests.integration.sync_server.processing.world import prepare


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return request.getfixturevalue("postgres_cluster").create_database()


def _child(folder: Path, db_url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.sync_server.processing.lease_child",
            str(folder),
            db_url,
            *extra,
        ],
        cwd=os.getcwd(),
    )


def _wait_in_stage(folder: Path, child: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while not (folder / "in-stage").exists():
        assert child.poll() is None and time.monotonic() < deadline, "the worker never reached the slow stage"
        time.sleep(0.05)
    time.sleep(0.1)  # the marker is written before the rid text lands
    return (folder / "in-stage").read_text()


def _job(db_url: str, rid: str) -> dict:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return dict(
                conn.execute(select(processing_jobs).where(processing_jobs.c.rid == rid)).mappings().one()
            )
    finally:
        engine.dispose()


def test_default_lease_is_seconds():
    assert queue.DEFAULT_LEASE.total_seconds() <= 15


def test_a_killed_workers_packet_is_retried_within_seconds(tmp_path, db_url):
    prepare(tmp_path, db_url, count=2)
    doomed = _child(tmp_path, db_url, "--slow-stage", "idstore")  # the default lease, as deployed
    rid = _wait_in_stage(tmp_path, doomed)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    killed_at = time.monotonic()
    survivor = _child(tmp_path, db_url, "--idle-exit", "40")
    try:
        while _job(db_url, rid)["status"] != "processed":
            assert time.monotonic() - killed_at < 30, (
                f"packet still {_job(db_url, rid)['status']} 30 s after the kill"
            )
            time.sleep(0.2)
        taken_over_after = time.monotonic() - killed_at
    finally:
        survivor.kill()
        survivor.wait(timeout=10)
    assert taken_over_after <= queue.DEFAULT_LEASE.total_seconds() + 10
    assert _job(db_url, rid)["attempts"] == 2  # the killed attempt, then the survivor's


def test_a_live_worker_keeps_a_packet_that_runs_longer_than_its_lease(tmp_path, db_url):
    (rid,) = prepare(tmp_path, db_url, count=1)
    slow = _child(tmp_path, db_url, "--lease", "1.5", "--slow-stage", "idstore", "--slow-seconds", "5")
    _wait_in_stage(tmp_path, slow)
    rival = _child(tmp_path, db_url, "--lease", "1.5", "--idle-exit", "6")  # polls the queue throughout
    assert slow.wait(timeout=60) == 0
    assert rival.wait(timeout=60) == 0
    job = _job(db_url, rid)
    assert job["status"] == "processed"
    assert job["attempts"] == 1, "the rival took the packet while its worker was still running it"


def test_server_workers_take_the_lease_from_the_settings(tmp_path):
    from sync_server.bootstrap import build_state, start_backend
    from sync_server.settings import ServerSettings

    state = build_state(ServerSettings(data_dir=tmp_path / "server", workers=0, processing_lease_s=3))
    backend = start_backend(state)
    try:
        assert backend.make_worker().lease.total_seconds() == 3
    finally:
        backend.stop()
        backend.engine.dispose()
        state.engine.dispose()

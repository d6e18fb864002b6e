"""Worker processes on PostgreSQL: SIGKILL mid-stage and concurrent workers process every packet
exactly once with no duplicate UIN (real sealed packets, real stages, real FOR UPDATE SKIP LOCKED)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select

from sync_server.idstore import tables as id_tables
from sync_server.processing import tables as processing_tables
from tests.integration.sync_server.processing.world import prepare

# A fresh database per test (``postgres_url``) on the session's throwaway cluster (tests/support/postgres.py).
pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(postgres_url):
    return postgres_url


def _child(folder, db_url, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.sync_server.processing.worker_child",
            str(folder),
            db_url,
            *extra,
        ],
        cwd=os.getcwd(),
    )


def _assert_exactly_once(db_url, rids):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        jobs = conn.execute(select(processing_tables.processing_jobs)).mappings().all()
        identities = conn.execute(select(func.count()).select_from(id_tables.identities)).scalar()
        uins = conn.execute(select(id_tables.uins.c.uin, id_tables.uins.c.rid)).all()
    assert {j["rid"] for j in jobs} == set(rids)
    assert all(j["status"] == "processed" for j in jobs), [
        (j["rid"], j["status"], j["reason_text"]) for j in jobs
    ]
    job_uins = [j["uin"] for j in jobs]
    assert len(set(job_uins)) == len(rids)  # no duplicate UIN
    assert identities == len(rids)  # one identity per packet
    assert len(uins) == len(rids) and {r for _, r in uins} == set(rids)  # no UIN issued twice for one packet
    engine.dispose()


def test_concurrent_worker_processes_process_each_packet_once(tmp_path, db_url):
    rids = prepare(tmp_path, db_url, count=24)
    children = [_child(tmp_path, db_url) for _ in range(3)]
    for child in children:
        assert child.wait(timeout=90) == 0
    _assert_exactly_once(db_url, rids)


def test_worker_killed_mid_stage_leaves_the_packet_to_another_worker(tmp_path, db_url):
    rids = prepare(tmp_path, db_url, count=6)
    doomed = _child(tmp_path, db_url, "--slow-stage", "idstore")  # killed after its UIN is issued
    deadline = time.monotonic() + 30
    while not (tmp_path / "in-stage").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_rid = (tmp_path / "in-stage").read_text()
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    survivors = [_child(tmp_path, db_url) for _ in range(2)]
    for child in survivors:
        assert child.wait(timeout=90) == 0
    _assert_exactly_once(db_url, rids)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        attempts = conn.execute(
            select(processing_tables.processing_jobs.c.attempts).where(
                processing_tables.processing_jobs.c.rid == killed_rid
            )
        ).scalar()
    assert attempts == 2  # claimed by the killed worker, then picked up again after its lease expired
    engine.dispose()

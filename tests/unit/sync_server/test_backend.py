"""The composition root: a Backend started with one worker thread processes a queued real packet
and installs the built-in report schedules in the database job store."""

import json
import time

from sqlalchemy import create_engine

from shared.packet import load_identities
from sync_server.backend import Backend
from sync_server.processing import queue
from tests.integration.sync_server.processing.world import Master, prepare


def test_backend_processes_queue_rows_and_schedules_reports(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    folder = tmp_path / "world"
    rids = prepare(folder, url, count=2)  # migrates: the server's real schema
    world = json.loads((folder / "world.json").read_text())
    with engine.begin() as conn:  # the server enqueues with the path and registered hash
        for rid in rids:
            sha, size = world["registered"][rid]
            conn.execute(
                queue.processing_jobs.update()
                .where(queue.processing_jobs.c.rid == rid)
                .values(info={"path": str(folder / "packets" / f"{rid}.age"), "sha256": sha, "size": size})
            )
    finished = []
    backend = Backend(
        engine=engine,
        data_dir=tmp_path / "data",
        identities=load_identities(folder / "server-identity.txt"),
        master=Master(world["machine_key"]),
        on_finished=lambda rid, status: finished.append(status),
    )
    backend.start(workers=1)
    try:
        deadline = time.monotonic() + 20
        while len(finished) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        jobs = backend._scheduler.scheduler.get_jobs()
    finally:
        backend.stop()
    assert finished == ["processed", "processed"]
    assert {j.id for j in jobs} >= {"report:daily-registrations", "report:sync-lag"}
    assert (
        backend.id_store.get_by_rid(rids[0], actor="t", purpose="test").uin
        == queue.job_status(engine, rids[0])["uin"]
    )


def test_server_backend_engines_workers_without_pre_ping_reports_on_the_request_engine(tmp_path):
    """Workers (queue, ID store, master-data history) share the no-pre-ping engine; the report service
    and its scheduler use the request engine, which (on PostgreSQL) pings before reusing a connection."""
    from sync_server.bootstrap import build_state, start_backend
    from sync_server.settings import ServerSettings

    state = build_state(ServerSettings(data_dir=tmp_path / "server", workers=0))
    backend = start_backend(state)
    try:
        assert backend.engine is not state.engine  # (pre-ping itself only applies to PostgreSQL)
        assert backend.master.engine.pool is backend.engine.pool  # an options view of the same engine
        assert backend.id_store.engine is backend.engine
        assert backend.reports.engine is state.engine and backend.reports_engine is state.engine
        assert backend.reports.context_factory().jobs.engine is state.engine
    finally:
        backend.stop()
        backend.engine.dispose()
        state.engine.dispose()

"""Scale-out on proven parts: two server processes and two workers on one PostgreSQL database and one
packet store behind HAProxy. Thirty-two kiosks upload through the balancer while one server is killed
mid-upload; the kiosks resume through the other, and every packet is received and processed exactly
once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.integration.sync_server.kiosk import Kiosk
from tests.support.scale import Cluster, sealed, upload_resuming

KIOSKS = 32


@pytest.mark.slow  # 26-35 s: in make test-slow with its S3 variant
@pytest.mark.timeout(600)
def test_two_servers_and_two_workers_lose_nothing_when_one_server_dies(
    start_sync_server, postgres_url, tmp_path
):
    run_cluster(
        Cluster(start_sync_server, tmp_path, postgres_url, servers=2, workers=2), tmp_path, postgres_url
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_same_with_packet_blobs_in_an_s3_bucket(start_sync_server, postgres_url, s3_server, tmp_path):
    """No shared packet folder at all: partial chunks and packets live in the bucket, writers of a
    packet are serialised by a PostgreSQL advisory lock across the two servers."""
    bucket = s3_server.bucket()
    env = s3_server.env(bucket)
    cluster = Cluster(start_sync_server, tmp_path, postgres_url, servers=2, workers=2, env=env)
    run_cluster(cluster, tmp_path, postgres_url)
    assert not [key for key in s3_server.keys(bucket) if "/partial/" in key]


def run_cluster(cluster: Cluster, tmp_path, postgres_url: str) -> None:
    try:
        kiosks = [Kiosk(cluster.url, name=f"kiosk {n}") for n in range(KIOSKS)]
        packets = []
        for n, kiosk in enumerate(kiosks):
            kiosk.enrol()
            kiosk.login()
            packets.append(sealed(kiosk, n, tmp_path / "outbox"))
        failures = [0] * KIOSKS
        deadline = time.monotonic() + 240

        def run(n: int) -> None:
            failures[n] = upload_resuming(kiosks[n], *packets[n], deadline=deadline)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(KIOSKS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # uploads in flight on both servers
        cluster.servers[0].kill()
        for thread in threads:
            thread.join()
        assert sum(failures) > 0  # some requests died with the server, and were resumed

        rids = [rid for rid, _ in packets]
        done = {}
        while time.monotonic() < deadline and len(done) < KIOSKS:
            for kiosk, rid in zip(kiosks, rids, strict=True):
                state = kiosk.status(rid)[rid]
                if state["status"] in ("processed", "rejected") or state.get("reason_code") == "adjudication":
                    done[rid] = state
            time.sleep(0.5)
        assert len(done) == KIOSKS, {r: s for r, s in done.items()}
        assert sum(1 for s in done.values() if s["status"] == "processed") >= KIOSKS - 2, done
        engine = create_engine(postgres_url)
        with engine.connect() as db:
            rows = db.execute(text("SELECT rid, count(*) FROM packets GROUP BY rid")).all()
            jobs = db.execute(text("SELECT rid, count(*) FROM processing_jobs GROUP BY rid")).all()
            uins = db.execute(text("SELECT count(DISTINCT rid), count(*) FROM idstore_identities")).one()
        engine.dispose()
        assert sorted(r for r, _ in rows) == sorted(rids) and all(c == 1 for _, c in rows)
        assert sorted(r for r, _ in jobs) == sorted(rids) and all(c == 1 for _, c in jobs)
        assert uins[0] == uins[1] and uins[1] == sum(s["status"] == "processed" for s in done.values())
    finally:
        cluster.stop()

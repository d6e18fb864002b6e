"""Console benchmark: every console page against a loaded PostgreSQL (throwaway cluster): 1,000
machines, 100,000 packets with their processing jobs and stage records, and 10,000 users, bulk-inserted.
An admin signs in (real TOTP flow, in-process TestClient) and GETs each page of access.PAGES (plus a
filtered packets search and one packet detail, skipped with a note when those routes answer 404) N
times. Prints p50/p95 request time per page in ms and as a ratio to a ``SELECT 1`` round trip measured
in the same run; flags pages whose p95 is over 200 ms.

Usage: .venv/bin/python bench/bench_console.py [--runs 20] [--packets 100000] [--machines 1000] [--users 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.console.access import PAGES
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.processing.tables import processing_jobs, stage_records
from sync_server.services.auth import hash_password
from sync_server.services.masterdata import append_changes
from sync_server.settings import ServerSettings
from tests.support.console import add_user, sign_in
from tests.support.postgres import postgres_available, running_cluster

LIMIT_MS = 200.0
CENTERS = ("10001", "10002", "10003")
BATCH = 10_000
PACKET_STATES = ("processed", "processed", "processed", "received", "rejected", "processing", "registered")
JOB_STATES = {"processed": "processed", "rejected": "rejected", "processing": "running", "received": "queued"}


def _batches(rows: list[dict]):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def load(engine, *, machines: int, packets: int, users: int) -> str:
    """Bulk-insert the data set; returns one packet's RID (for the detail page)."""
    now = dt.datetime.now(dt.UTC)
    machine_rows = [
        {
            "machine_id": f"{10001 + n:05d}",
            "public_key": f"bench{n:07d}".ljust(44, "A"),
            "center_id": CENTERS[n % len(CENTERS)],
            "name": f"kiosk {n}",
            "status": "pending" if n % 50 == 0 else "approved",
            "created_at": now - dt.timedelta(days=30),
            "decided_at": now - dt.timedelta(days=29),
            "last_masterdata_sync_at": now - dt.timedelta(hours=n % 96),
        }
        for n in range(machines)
    ]
    packet_rows, jobs, stages = [], [], []
    for n in range(packets):
        machine = machine_rows[n % machines]
        at = now - dt.timedelta(minutes=(n * 17) % (20 * 24 * 60))
        status = PACKET_STATES[n % len(PACKET_STATES)]
        rid = f"{n:029d}"
        packet_rows.append(
            {
                "rid": rid, "machine_id": machine["machine_id"], "center_id": machine["center_id"],
                "sha256": "0" * 64, "size": 1_500_000, "status": status, "operator_id": f"op{n % 300}",
                "registered_at": at, "received_at": at + dt.timedelta(minutes=5),
            }
        )  # fmt: skip
        if status == "registered":
            continue
        job_status = "failed" if n % 997 == 0 else JOB_STATES[status]
        jobs.append(
            {
                "rid": rid, "status": job_status, "stage": "dedupe", "attempts": 1, "next_attempt_at": at,
                "center_id": machine["center_id"], "machine_id": machine["machine_id"],
                "operator_id": f"op{n % 300}", "enqueued_at": at, "info": {},
            }
        )  # fmt: skip
        stages.append(
            {
                "rid": rid, "stage": "decrypt", "attempt": 1, "started_at": at, "ended_at": at,
                "outcome": "ok", "detail": "",
            }
        )  # fmt: skip
    with Session(engine) as session, session.begin():
        session.execute(insert(MachineRow), machine_rows)
        for table, rows in (
            (PacketRow.__table__, packet_rows),
            (processing_jobs, jobs),
            (stage_records, stages),
        ):
            for chunk in _batches(rows):
                session.execute(insert(table), chunk)
    password = hash_password("bench-user-password")  # one hash for all: hashing is slow on purpose
    user_rows = [
        {
            "id": f"user{n:05d}", "name": f"User {n}", "roles": ["operator"], "password_hash": password,
            "center_id": CENTERS[n % len(CENTERS)], "active": True,
        }
        for n in range(users)
    ]  # fmt: skip
    for chunk in _batches(user_rows):
        with Session(engine) as session, session.begin():
            append_changes(session, upserts=[("users", u) for u in chunk], deletes=[])
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return packet_rows[len(packet_rows) // 2]["rid"]


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    if not postgres_available():
        sys.exit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with running_cluster() as cluster, tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        state = build_state(ServerSettings(data_dir=Path(tmp) / "server", db_url=cluster.create_database()))
        started = time.perf_counter()
        rid = load(state.engine, machines=args.machines, packets=args.packets, users=args.users)
        print(
            f"loaded {args.machines:,} machines, {args.packets:,} packets (+ jobs, stage records), "
            f"{args.users:,} users in {time.perf_counter() - started:.1f} s"
        )
        client = TestClient(create_app(state), base_url="http://testserver")
        username = add_user(state, ["admin"])
        assert str(sign_in(client, username).url).endswith("/console/"), "sign-in failed"

        baseline = []
        for _ in range(max(50, args.runs)):
            t0 = time.perf_counter()
            with state.engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar()
            baseline.append((time.perf_counter() - t0) * 1000)
        base_p50, _ = percentiles(baseline)
        print(f"baseline SELECT 1 round trip: p50 {base_p50:.2f} ms")

        targets = [(p.key, p.path) for p in PAGES]
        targets += [("packets search", "/console/packets?status=processed&center=10002")]
        targets += [("packet detail", f"/console/packets/{rid}")]
        slow = []
        print(f"{'page':<16} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9}  (n={args.runs})")
        for name, path in targets:
            first = client.get(path)  # warm-up; also tells whether the route exists
            if first.status_code == 404:
                print(f"{name:<16} skipped: {path} answers 404 (route not built yet)")
                continue
            if first.status_code != 200:
                print(f"{name:<16} skipped: {path} answers {first.status_code}")
                continue
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
            p50, p95 = percentiles(times)
            flag = "  OVER 200 ms" if p95 > LIMIT_MS else ""
            if flag:
                slow.append(name)
            print(f"{name:<16} {p50:8.1f} {p95:8.1f} {p50 / base_p50:9.0f}x{flag}")
        print(f"pages over {LIMIT_MS:.0f} ms (p95): {', '.join(slow) if slow else 'none'}")
        state.engine.dispose()


if __name__ == "__main__":
    main()

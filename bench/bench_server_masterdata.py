"""Master-data benchmark (issues 12 and 22).

1. Import 1,000,000 location rows (one all-or-nothing import through the service the CLI uses), on
   SQLite and on PostgreSQL. Baseline, same run and same driver: the same rows, serialised to JSON,
   bulk-inserted into a table shaped like ``masterdata_current`` (``executemany`` in one transaction on
   SQLite, ``COPY`` on PostgreSQL). Goal: the import runs at >= 50 % of the baseline's rows/s and at
   >= 100,000 rows/s.
2. Snapshot of those rows (SQLite server), built, signed and sent over HTTP to a fresh kiosk. Baseline:
   gzip (level 6, as served) of the same JSON bytes. Goal: <= 2x the baseline; a second kiosk at the
   same cursor is served the cached signed snapshot in < 0.5 s.
3. A delta of 1,000 changes over HTTP (goal < 100 ms, issue 12).

Usage: .venv/bin/python bench/bench_server_masterdata.py [--rows 1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from results import load_note, result
from sqlalchemy.orm import Session

from sync_server.bootstrap import build_state
from sync_server.services import masterdata
from sync_server.settings import ServerSettings
from tests.integration.sync_server.kiosk import API, Kiosk
from tests.support.postgres import postgres_available, running_cluster
from tests.support.server import RunningServer

GOAL_SHARE, GOAL_ROWS_S = 0.5, 100_000
TABLE = (
    "CREATE TABLE bench_rows (entity VARCHAR(64) NOT NULL, entity_id VARCHAR(200) NOT NULL, "
    "center_id VARCHAR(5), data {json} NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (entity, entity_id))"
)


def locations(count: int, tag: str) -> list[dict]:
    return [
        {
            "id": f"L{i}",
            "parent_id": None if i < 100 else f"L{i // 100}",
            "level": "city",
            "labels": {"eng": f"Place {i} {tag}", "fra": f"Lieu {i}", "ara": f"مكان {i}"},
        }
        for i in range(count)
    ]


def baseline_sqlite(path: Path, rows: list[dict]) -> float:
    """Rows/s of executemany (sqlite3, the server's driver and pragmas) in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(TABLE.format(json="TEXT"))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO bench_rows VALUES (?, ?, ?, ?, ?)",
        (("locations", r["id"], r.get("center_id"), dumps(r), n) for n, r in enumerate(rows, 1)),
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


def baseline_postgres(url: str, rows: list[dict]) -> float:
    """Rows/s of COPY (psycopg, the server's driver) in one transaction."""
    import psycopg

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(TABLE.format(json="JSON"))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY bench_rows FROM STDIN") as copy:
            for n, r in enumerate(rows, 1):
                copy.write_row(("locations", r["id"], r.get("center_id"), dumps(r), n))
        conn.commit()
        return len(rows) / (time.perf_counter() - started)


def import_rows(settings: ServerSettings, document: bytes) -> tuple[int, float]:
    """(rows, rows/s) of one import through the service, as `openreg admin masterdata import` runs it."""
    state = build_state(settings)
    try:
        started = time.perf_counter()
        with Session(state.engine) as session, session.begin():
            done = masterdata.import_documents(session, [("locations.json", document)])
        return done.upserts, done.upserts / (time.perf_counter() - started)
    finally:
        state.engine.dispose()


def compare(label: str, rows: int, rate: float, base: float) -> None:
    share = rate / base
    print(
        f"{label}: import {rows:,} rows at {rate:,.0f} rows/s; baseline bulk insert {base:,.0f} rows/s; "
        f"import / baseline {100 * share:.0f} % (goals >= {100 * GOAL_SHARE:.0f} %, >= {GOAL_ROWS_S:,} rows/s)"
    )
    result(
        f"master-data import of {rows:,} rows, {label} / bulk insert",
        f"{100 * share:.0f} % ({rate:,.0f} rows/s)",
        f">= {100 * GOAL_SHARE:.0f} % and >= {GOAL_ROWS_S:,} rows/s",
        share >= GOAL_SHARE and rate >= GOAL_ROWS_S,
    )


def snapshot_and_delta(data_dir: Path) -> None:
    server = RunningServer(data_dir, db_url=None, demo=True, env=None)
    try:
        first, second = Kiosk(server.url), Kiosk(server.url, name="second kiosk")
        for kiosk in (first, second):
            kiosk.enrol()
            kiosk.login()
        started = time.perf_counter()
        snap = first.http.get(f"{server.url}{API}/masterdata/snapshot", headers=first.auth, timeout=900)
        snap_s = time.perf_counter() - started
        snap.raise_for_status()
        plain = gzip.decompress(snap.content)
        started = time.perf_counter()
        gzip.compress(plain, compresslevel=6, mtime=0)
        gzip_s = time.perf_counter() - started
        started = time.perf_counter()
        again = second.http.get(f"{server.url}{API}/masterdata/snapshot", headers=second.auth, timeout=900)
        cached_s = time.perf_counter() - started
        assert again.content == snap.content
        ratio = snap_s / gzip_s
        print(
            f"snapshot: {len(plain) / 1e6:.0f} MB JSON, {len(snap.content) / 1e6:.1f} MB gzip; built, signed "
            f"and sent in {snap_s:.1f} s; gzip of the same bytes {gzip_s:.1f} s; ratio {ratio:.2f} (goal <= 2); "
            f"second kiosk at the same cursor {cached_s * 1000:.0f} ms (goal < 500 ms)"
        )
        result(
            "snapshot built, signed and sent / gzip of the same bytes", f"{ratio:.2f}x", "<= 2x", ratio <= 2
        )
        result(
            "snapshot to a second kiosk at the same cursor",
            f"{cached_s * 1000:.0f} ms",
            "< 500 ms",
            cached_s < 0.5,
        )
        cursor = json.loads(plain)["cursor"]
        admin = requests.post(
            f"{server.url}{API}/auth/login", json={"username": "admin", "password": "admin-demo"}
        )
        change = {"format": "openreg-masterdata/1", "entities": {"locations": locations(1000, "v2")}}
        requests.post(
            f"{server.url}{API}/admin/masterdata/import",
            json=change,
            headers={"Authorization": f"Bearer {admin.json()['token']}"},
            timeout=600,
        ).raise_for_status()
        times = []
        for _ in range(20):
            began = time.perf_counter()
            page = first.http.get(
                f"{server.url}{API}/masterdata/changes",
                params={"since": cursor, "limit": 1000},
                headers=first.auth,
            )
            times.append(time.perf_counter() - began)
        assert len(page.json()["payload"]["changes"]) == 1000
        print(
            f"delta of 1,000 changes ({len(page.content) / 1e3:.0f} kB, signed): median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (goal < 100 ms)"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"bench_server_masterdata: {load_note()} (shared with other work)")
    document = json.dumps(
        {"format": "openreg-masterdata/1", "entities": {"locations": locations(args.rows, "")}}
    ).encode()
    with tempfile.TemporaryDirectory(prefix="bench-md-") as tmp:
        # Each baseline gets its rows fresh and drops them before the import runs: a million row
        # dicts held by this process would make every garbage collection during the import slower.
        base = baseline_sqlite(Path(tmp) / "baseline.db", locations(args.rows, ""))
        gc.collect()
        data_dir = Path(tmp) / "server"
        count, rate = import_rows(ServerSettings(data_dir=data_dir, demo=True), document)
        compare("SQLite", count, rate, base)
        if args.skip_postgres:
            print("postgresql: skipped (--skip-postgres)")
        elif not postgres_available():
            print("postgresql: binaries not installed, skipped")
        else:
            with running_cluster() as cluster:
                base = baseline_postgres(cluster.create_database(), locations(args.rows, ""))
                gc.collect()
                settings = ServerSettings(
                    data_dir=Path(tmp) / "pg", db_url=cluster.create_database(), demo=True
                )
                count, rate = import_rows(settings, document)
                compare("PostgreSQL", count, rate, base)
        del document
        snapshot_and_delta(data_dir)


if __name__ == "__main__":
    main()

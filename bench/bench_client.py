"""Client benchmarks (plain script; prints figures, does not assert). Run: .venv/bin/python bench/bench_client.py

1. Officer sign-off -> sealed packet + receipt for a typical ~2 MB registration (goal: median < 200 ms).
2. Master-data bootstrap of 1,000,000 rows into SQLCipher (goal < 15 s) and into plain SQLite in the same
   run, with the SQLCipher overhead ratio (SQLCipher publishes 5-15%).

Figures on the shared 2-core build machine are taken under CPU contention from other jobs.
Options: --rows N (default 1,000,000), --packets N (default 15), --skip-packets, --skip-bootstrap.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.core.master_data import bulk_load
from client.core.store import Store

PAGE_ROWS = 100_000


def make_rows(count: int) -> list[dict]:
    """Location-like rows with labels in three languages, the shape of the biggest real entity."""
    return [
        {
            "id": f"L{i:07d}",
            "parent_id": f"L{i // 10:07d}",
            "level": "postal_code",
            "labels": {"eng": f"Place {i}", "fra": f"Lieu {i}", "ara": f"مكان {i}"},
            "active": True,
        }
        for i in range(count)
    ]


def bench_bootstrap(rows: list[dict], *, encrypted: bool, workdir: Path) -> float:
    store = Store(
        path=workdir / f"bootstrap-{'cipher' if encrypted else 'plain'}.db",
        key=b"\x07" * 32,
        encrypted=encrypted,
    )
    try:
        start = time.perf_counter()
        with store.transaction() as conn:  # a snapshot is applied atomically, like the sync agent does
            for offset in range(0, len(rows), PAGE_ROWS):
                bulk_load(conn, "locations", rows[offset : offset + PAGE_ROWS])
        elapsed = time.perf_counter() - start
        with store.transaction() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM master_data").scalar_one() == len(rows)
        return elapsed
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--packets", type=int, default=15)
    parser.add_argument("--skip-packets", action="store_true")
    parser.add_argument("--skip-bootstrap", action="store_true")
    args = parser.parse_args()
    print("bench_client (2-core machine shared with other jobs: figures are under contention)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_packets:
            from bench_client_packets import bench_sign_off

            times = bench_sign_off(count=args.packets, workdir=workdir)
            print(
                f"sign-off -> sealed packet + receipt, ~2 MB registration, n={len(times)}: "
                f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
                f"max {max(times) * 1000:.0f} ms (goal < 200 ms median)"
            )
        if not args.skip_bootstrap:
            rows = make_rows(args.rows)
            size = sum(len(json.dumps(r, ensure_ascii=False)) for r in rows[:1000]) * len(rows) / 1000
            cipher = bench_bootstrap(rows, encrypted=True, workdir=workdir)
            plain = bench_bootstrap(rows, encrypted=False, workdir=workdir)
            print(
                f"master-data bootstrap {len(rows):,} rows (~{size / 1e6:.0f} MB JSON): SQLCipher {cipher:.1f} s "
                f"(goal < 15 s), plain SQLite {plain:.1f} s, SQLCipher overhead {100 * (cipher / plain - 1):+.0f}% "
                f"(ratio {cipher / plain:.2f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

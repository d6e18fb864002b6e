"""Reports benchmark: a SQL report of N rows from PostgreSQL (throwaway cluster) to CSV with its
checksum and metadata, through the real stages (connector streaming from a server-side cursor,
artifacts, SHA-256 sidecars). Prints rows/s and peak memory of the process that ran it, for a small
and a large N (memory must stay flat), and the same as a ratio to a baseline measured in the same
run: PostgreSQL's own ``COPY (query) TO STDOUT WITH CSV`` into a file, hashed with SHA-256.

Goal (issue 16): >= 200,000 rows/s and peak memory under 200 MB whatever the row count.

Usage: .venv/bin/python bench/bench_reports.py [--rows 1000000] [--small 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERY = "SELECT id, center_id, day, operator_id, status FROM registrations WHERE id <= :n ORDER BY id"
GOAL_ROWS_S = 200_000
GOAL_MB = 200


def load(url: str, rows: int) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE registrations AS SELECT g AS id, lpad((10001 + g % 50)::text, 5, '0') AS center_id, "
            "date '2026-01-01' + (g % 300) AS day, 'op' || (g % 400) AS operator_id, "
            "(ARRAY['processed','rejected','received'])[1 + g % 3] AS status "
            f"FROM generate_series(1, {rows}) AS g"
        )
        conn.execute("ALTER TABLE registrations ADD PRIMARY KEY (id)")
        conn.execute("ANALYZE registrations")


def baseline(url: str, rows: int, out: Path) -> dict:
    """COPY to a file + SHA-256, in a child process (peak memory of that process alone)."""
    return _child(["baseline", url, str(rows), str(out)])


def report(url: str, rows: int, out: Path) -> dict:
    return _child(["report", url, str(rows), str(out)])


def _child(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_baseline(url: str, rows: int, out: Path) -> dict:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    started = time.perf_counter()
    digest = hashlib.sha256()
    sql = QUERY.replace(":n", str(rows))
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        out.open("wb") as file,
        cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for chunk in copy:
            file.write(chunk)
            digest.update(chunk)
    (out.parent / (out.name + ".sha256")).write_text(f"{digest.hexdigest()}  {out.name}\n")
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mb": _peak_mb()}


def child_report(url: str, rows: int, out: Path) -> dict:
    from sqlalchemy import create_engine

    from sync_server.db.backend_schema import create_backend_tables
    from sync_server.report_parts import build_report_parts
    from sync_server.reports.definitions import parse_spec

    data = out.parent / "data"
    server = create_engine(f"sqlite:///{out.parent / 'server.db'}")
    create_backend_tables(server)
    parts = build_report_parts(server, data)
    parts.report_connectors.save("pg", title="Bench", url=url, options={"timeout_s": 600}, actor="bench")
    spec = {
        "title": "Registrations",
        "parameters": [{"name": "n", "type": "integer", "default": rows}],
        "source": {"kind": "sql", "connector": "pg", "query": QUERY},
        "formats": ["csv"],
    }
    parts.reports.definitions.save("bench", parse_spec(spec), actor="bench")
    started = time.perf_counter()
    run_id = parts.reports.run("bench")
    seconds = time.perf_counter() - started
    run = parts.reports.run_row(run_id)
    if run["status"] != "succeeded":
        raise SystemExit(f"report failed: {run['error']}")
    parts.dispose()
    return {"seconds": seconds, "rows": run["row_count"], "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--child", nargs=4, default=None)
    args = parser.parse_args()
    if args.child:
        kind, url, rows, out = args.child
        result = (child_baseline if kind == "baseline" else child_report)(url, int(rows), Path(out))
        print(json.dumps(result))
        return

    from tests.support.postgres import postgres_available, running_cluster

    if not postgres_available():
        print("skipped: PostgreSQL server binaries are not installed")
        return
    with running_cluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        url = cluster.create_database()
        load(url, args.rows)
        print(f"reports: SQL report from PostgreSQL to CSV + SHA-256, {args.rows:,} rows loaded")
        results = {}
        for n in (args.small, args.rows):
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            base = baseline(url, n, work / "copy.csv")
            ours = report(url, n, work / "report.csv")
            results[n] = ours
            base_rate, our_rate = base["rows"] / base["seconds"], ours["rows"] / ours["seconds"]
            print(
                f"  {n:>9,} rows: baseline COPY {base_rate:>10,.0f} rows/s ({base['peak_mb']:.0f} MB peak) | "
                f"report {our_rate:>10,.0f} rows/s ({ours['peak_mb']:.0f} MB peak) | "
                f"ratio {our_rate / base_rate:.2f}x of baseline"
            )
        big = results[args.rows]
        rate = big["rows"] / big["seconds"]
        growth = big["peak_mb"] - results[args.small]["peak_mb"]
        print(
            f"  goal >= {GOAL_ROWS_S:,} rows/s: {'met' if rate >= GOAL_ROWS_S else 'NOT met'} ({rate:,.0f}); "
            f"memory < {GOAL_MB} MB: {'met' if big['peak_mb'] < GOAL_MB else 'NOT met'} "
            f"({big['peak_mb']:.0f} MB; {growth:+.0f} MB from {args.small:,} to {args.rows:,} rows)"
        )


if __name__ == "__main__":
    main()

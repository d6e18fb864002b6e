"""Pre-registration import benchmark (issue 22): peak memory of `openreg admin masterdata import`
for 50,000 and 200,000 pre-registrations (about 15 and 60 MB of JSON), each in a fresh process that
does what the CLI command does (build the server state, then import the file in one transaction).

Goal: memory flat, < 150 MB peak whatever the file size (the parse streams; nothing holds all rows).
Prints the process's peak RSS, what it held before the import (interpreter, server code, demo data)
and the import's time. No baseline: the goal is absolute.

Usage: .venv/bin/python bench/bench_preregistrations.py [--sizes 50000,200000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import load_note, peak_rss_mb, result

GOAL_MB = 150
FIRST = ["Amina", "Karim", "Leila", "Omar", "Sara", "Youssef", "Nadia", "Hassan", "Rania", "Tarek"]
LAST = ["Nasser", "Haddad", "Khoury", "Mansour", "Saleh", "Aziz", "Farah", "Hamdan", "Issa", "Jaber"]


def write_file(path: Path, count: int) -> int:
    """Write ``count`` pre-registrations (as an admin would receive them) row by row; returns bytes."""
    rng = random.Random(count)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format": "openreg-masterdata/1", "entities": {"preregistrations": [\n')
        for i in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            row = {
                "id": f"PRE-2026-{i:07d}",
                "center_id": rng.choice(["10001", "10002", "10003"]),
                "appointment_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "data": {
                    "fullName": f"{first} {last}",
                    "dateOfBirth": f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "gender": rng.choice(["FLE", "MLE"]),
                    "phone": f"+961{rng.randint(10_000_000, 99_999_999)}",
                    "email": f"{first.lower()}.{last.lower()}{i}@example.org",
                    "addressLine1": f"{rng.randint(1, 300)} Cedar Street, building {rng.randint(1, 40)}",
                    "region": "R1",
                    "province": "R1P1",
                    "city": "R1P1C1",
                },
            }
            out.write(("," if i else "") + json.dumps(row, ensure_ascii=False) + "\n")
        out.write("]}}\n")
    return path.stat().st_size


def child(folder: Path, file: Path) -> None:
    """Run in a fresh process: what `openreg admin masterdata import FILE` does on an existing server
    (set up by an earlier process, as a deployment's is); print the figures."""
    from sqlalchemy.orm import Session

    from sync_server.bootstrap import build_state
    from sync_server.services.masterdata import import_paths
    from sync_server.settings import ServerSettings

    state = build_state(ServerSettings(data_dir=folder, demo=True))
    before = peak_rss_mb()
    started = time.perf_counter()
    with Session(state.engine) as session, session.begin():
        done = import_paths(session, [file], actor="bench")
    print(
        json.dumps(
            {
                "before": before,
                "peak": peak_rss_mb(),
                "seconds": time.perf_counter() - started,
                "rows": done.upserts,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50000,200000")
    args = parser.parse_args()
    print(f"bench_preregistrations: {load_note()} (shared with other work)")
    peaks = []
    with tempfile.TemporaryDirectory(prefix="bench-prereg-") as tmp:
        for count in (int(n) for n in args.sizes.split(",")):
            file = Path(tmp) / f"preregistrations-{count}.json"
            size = write_file(file, count)
            server = Path(tmp) / f"server-{count}"
            setup = "from sync_server.bootstrap import build_state; from sync_server.settings import ServerSettings; "
            setup += f"build_state(ServerSettings(data_dir={str(server)!r}, demo=True))"
            subprocess.run([sys.executable, "-c", setup], check=True, cwd=Path(__file__).resolve().parents[1])
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(server), str(file)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            peaks.append((count, figures["peak"]))
            print(
                f"{count:,} pre-registrations ({size / 1e6:.0f} MB JSON): peak {figures['peak']:.0f} MB "
                f"(the process held {figures['before']:.0f} MB before the import), {figures['rows']:,} rows in "
                f"{figures['seconds']:.1f} s ({figures['rows'] / figures['seconds']:,.0f} rows/s)"
            )
    count, peak = peaks[-1]
    flat = ", ".join(f"{c:,}: {p:.0f} MB" for c, p in peaks)
    result(
        f"import {count:,} pre-registrations: peak memory",
        f"{peak:.0f} MB ({flat})",
        f"< {GOAL_MB} MB, flat",
        peak < GOAL_MB,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()

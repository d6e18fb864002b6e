"""``make bench``: run every bench/bench_*.py, show their output, and write the goals table into
docs/performance.md (between the generated-table markers; the text around them is kept).

The table holds the date, the machine (CPU count and load average when the run started: the machine is
shared, so ratios to a baseline measured in the same run are what compare across runs) and one row per
``RESULT`` line a benchmark printed (bench/results.py). A benchmark that fails is listed as failed; the
others still run, and the exit status is 1.

Usage: .venv/bin/python bench/run_all.py [--only packet,client] [--no-write] [--doc docs/performance.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- bench:begin (written by make bench; edits inside are overwritten) -->"
END = "<!-- bench:end -->"
PREFIX = "RESULT\t"


def machine() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}, Linux {platform.release()}), "
        f"load average at start {one:.2f} / {five:.2f} / {fifteen:.2f}"
    )


def run(path: Path) -> tuple[int, list[list[str]], float]:
    """Run one benchmark, echoing its output; returns (exit code, result rows, seconds)."""
    started = time.perf_counter()
    rows: list[list[str]] = []
    process = subprocess.Popen(
        [sys.executable, str(path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(PREFIX):
            rows.append(line.rstrip("\n").split("\t")[1:5])
            continue
        print(line, end="", flush=True)
    return process.wait(), rows, time.perf_counter() - started


def table(started: dt.datetime, where: str, outcomes: list[tuple[str, int, list[list[str]], float]]) -> str:
    lines = [
        BEGIN,
        f"Run of {started:%Y-%m-%d %H:%M} UTC on {where}.",
        "",
        "| benchmark | measure | value (ratio to the same run's baseline) | goal | met |",
        "|---|---|---|---|---|",
    ]
    for name, code, rows, _seconds in outcomes:
        if code != 0:
            lines.append(f"| {name} | (failed, exit status {code}) | | | no |")
        for measure, value, goal, met in rows:
            lines.append(f"| {name} | {measure} | {value} | {goal} | {met} |")
    times = ", ".join(f"{name} {seconds:.0f} s" for name, _c, _r, seconds in outcomes)
    lines += ["", f"Time per benchmark: {times}.", END]
    return "\n".join(lines)


def write(doc: Path, block: str) -> None:
    text = doc.read_text() if doc.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Latest `make bench`\n" + block + "\n"
    doc.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated names, e.g. packet,client")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    wanted = {f"bench_{n.strip()}.py" for n in args.only.split(",") if n.strip()}
    started, where = dt.datetime.now(dt.UTC), machine()
    print(f"make bench: {where}", flush=True)
    outcomes = []
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        if wanted and path.name not in wanted:
            continue
        print(f"== {path.relative_to(ROOT)}", flush=True)
        code, rows, seconds = run(path)
        outcomes.append((path.stem, code, rows, seconds))
    block = table(started, where, outcomes)
    print(block)
    if not args.no_write:
        write(args.doc, block)
    return 1 if any(code for _n, code, _r, _s in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())

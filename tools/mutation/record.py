"""The measured scores per target (tools/mutation/scores.json) and their table in docs/testing.md.

Each target keeps its first run (before the tests its survivors asked for) and its latest run, with the
date and the test files that judged it, so the page says how every number was measured.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.mutation.targets import TARGETS, Target

RECORD = Path(__file__).resolve().parent / "scores.json"
START, END = "<!-- mutation-scores:start -->", "<!-- mutation-scores:end -->"
GOAL = 85.0


def load(path: Path = RECORD) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text()) if path.exists() else {}


def remember(
    target: Target, measured: dict[str, int | float], *, first: bool, path: Path = RECORD
) -> dict[str, Any]:
    """Store ``measured`` as the target's latest run (and as its first when ``first`` or none is kept)."""
    record = load(path)
    run = {**measured, "date": datetime.now(UTC).strftime("%Y-%m-%d"), "tests": list(target.tests)}
    if target.keyword:
        run["keyword"] = target.keyword
    entry = record.setdefault(target.name, {})
    if first or "first" not in entry:
        entry["first"] = run
    entry["latest"] = run
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return entry


def _row(name: str, label: str, run: dict[str, Any]) -> str:
    met = "met" if run["score"] >= GOAL else "gap"
    odd = run["timeout"] + run["suspicious"]
    return (
        f"| `{name}` | {label} ({run['date']}) | {run['mutants']} | {run['killed']} | {run['survived']} "
        f"| {run['no_tests']} | {odd} | {run['score']:.0f} % | {met} |"
    )


def table(record: dict[str, dict[str, Any]]) -> str:
    """Markdown: per target its first and latest run, the test files used, and the targets not run."""
    rows = [
        "| module | run | mutants | killed | survived | no tests | timeout / suspicious | score | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    selections, missing = [], []
    for target in TARGETS:
        entry = record.get(target.name)
        if entry is None:
            missing.append(f"`{target.name}`")
            continue
        first, latest = entry["first"], entry["latest"]
        if first != latest:
            rows.append(_row(target.name, "first run", first))
        rows.append(_row(target.name, "after tests" if first != latest else "first run", latest))
        tests = ", ".join(f"`{t.removeprefix('tests/unit/')}`" for t in latest["tests"])
        if latest.get("keyword"):
            tests += f' (`-k "{latest["keyword"]}"`)'
        selections.append(f"- `{target.name}`: {tests}")
    parts = [
        "\n".join(rows),
        "Killed counts timeouts and deaths by signal (the test run noticed); the score is killed over "
        "killed, survived, no tests and suspicious. Each target ran alone, in a copy of the tree, judged "
        "by these test files (under tests/unit/):",
        "\n".join(selections),
    ]
    if missing:
        parts.append("Not run yet: " + ", ".join(missing) + ".")
    return "\n\n".join(parts)


def write(page: Path, text: str) -> None:
    """Put ``text`` between the page's mutation-scores markers."""
    content = page.read_text()
    if START not in content or END not in content:
        raise ValueError(f"{page} has no {START} … {END} markers")
    head, rest = content.split(START, 1)
    page.write_text(f"{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}")

"""``python -m tools.mutation [--write docs/testing.md]``: mutation scores per module from mutmut's
results (run `make mutation` first), as a Markdown table; ``--write`` puts it between the
``mutation-scores`` markers of the file."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import click

START, END = "<!-- mutation-scores:start -->", "<!-- mutation-scores:end -->"
GOAL = 85.0
_LINE = re.compile(r"^\s*(?P<name>[\w.]+)\.x\S*__mutmut_\d+: (?P<status>[\w ]+)$")


def scores(results: str) -> dict[str, Counter]:
    """Status counts per module from ``mutmut results --all true``."""
    by_module: dict[str, Counter] = defaultdict(Counter)
    for line in results.splitlines():
        match = _LINE.match(line)
        if match:
            by_module[match["name"]][match["status"].strip()] += 1
    return dict(by_module)


def table(by_module: dict[str, Counter]) -> str:
    """Killed share of the mutants that ran (timeouts count as killed: the test run noticed)."""
    rows = [
        "| module | mutants | killed | survived | other | score | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for module, counts in sorted(by_module.items()):
        killed = counts["killed"] + counts["timeout"]
        survived = counts["survived"]
        other = sum(counts.values()) - killed - survived
        ran = killed + survived
        score = 100.0 * killed / ran if ran else 0.0
        met = "met" if score >= GOAL else "gap"
        rows.append(
            f"| `{module}` | {sum(counts.values())} | {killed} | {survived} | {other} | {score:.0f} % | {met} |"
        )
    return "\n".join(rows)


@click.command()
@click.option("--write", "target", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(target: Path | None) -> None:
    results = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = table(scores(results))
    click.echo(text)
    if target is not None:
        page = target.read_text()
        if START not in page or END not in page:
            raise click.ClickException(f"{target} has no {START} … {END} markers")
        head, rest = page.split(START, 1)
        target.write_text(f"{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    main()

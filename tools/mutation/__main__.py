"""``python -m tools.mutation run|survivors|write|list``: mutation testing one target at a time.

- ``run TARGET…`` (or ``--all``): mutmut on each target in its own copy of the tree (/tmp/mutwork/…),
  judged only by the target's test files (tools/mutation/targets.py), then its score goes into
  tools/mutation/scores.json (``--first`` marks it as the run before new tests; ``--alive-only`` runs
  again only the mutants the last run left alive, keeping the other verdicts).
- ``survivors TARGET``: the diff of every mutant the tests let live, to write the test that kills it.
- ``write docs/testing.md``: the scores table between the page's ``mutation-scores`` markers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from tools.mutation import record, runner
from tools.mutation.targets import TARGETS, Target, target


def _targets(names: tuple[str, ...], every: bool) -> list[Target]:
    if every == bool(names):
        raise click.UsageError("name targets or pass --all (not both)")
    try:
        return list(TARGETS) if every else [target(name) for name in names]
    except KeyError as exc:
        raise click.BadParameter(exc.args[0]) from None


@click.group()
def main() -> None:
    """Mutation testing of the modules where a silent bug costs most (docs/testing.md)."""


@main.command("list")
def list_targets() -> None:
    """Each target, the files it mutates and the test files that judge it."""
    for each in TARGETS:
        click.echo(f"{each.name}: {' '.join(each.sources)}  <-  {' '.join(each.tests)}")


@main.command()
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every target, in the order of targets.py.")
@click.option("--first", is_flag=True, help="Record this run as the first (before new tests).")
@click.option("--resume", is_flag=True, help="Keep mutmut's earlier results in the copy.")
@click.option(
    "--alive-only",
    is_flag=True,
    help="Run again only the mutants the last run left alive, with the target's current tests.",
)
@click.option("--max-children", type=click.IntRange(1, 8), default=2, show_default=True)
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=runner.WORKDIR)
def run(
    names: tuple[str, ...],
    every: bool,
    first: bool,
    resume: bool,
    alive_only: bool,
    max_children: int,
    workdir: Path,
) -> None:
    """Run mutmut on each target and record its score."""
    for each in _targets(names, every):
        click.echo(f"{each.name}: mutating {' '.join(each.sources)}", err=True)
        try:
            copy, found = runner.run(
                each, workdir=workdir, max_children=max_children, fresh=not resume, alive_only=alive_only
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        measured = runner.counts(found)
        if not measured["mutants"] or measured["not_run"] == measured["mutants"]:
            # nothing judged: the clean run of the selection failed (or mutmut did not start)
            raise click.ClickException(f"{each.name}: mutmut judged no mutant; see {copy / 'mutmut.log'}")
        record.remember(each, measured, first=first)
        click.echo(
            f"{each.name}: {measured['killed']}/{measured['mutants']} killed, {measured['survived']} survived, "
            f"{measured['no_tests']} no tests, {measured['timeout']} timeout, score {measured['score']} % "
            f"({copy})"
        )


@main.command()
@click.argument("name")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=runner.WORKDIR)
def survivors(name: str, workdir: Path) -> None:
    """The diff of each mutant of NAME's last run that no test killed."""
    copy = runner.copy_of(_targets((name,), False)[0], workdir=workdir)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    for mutant, status in runner.verdicts(copy).items():
        if status in runner.ALIVE:
            shown = subprocess.run(
                [mutmut, "show", mutant], cwd=copy, capture_output=True, text=True, check=False
            )
            click.echo(shown.stdout or f"# {mutant}: {status}\n")


@main.command()
@click.argument("page", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def write(page: Path) -> None:
    """Write the recorded scores between PAGE's mutation-scores markers."""
    text = record.table(record.load())
    try:
        record.write(page, text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(text)


if __name__ == "__main__":
    main()

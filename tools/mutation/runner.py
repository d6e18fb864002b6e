"""Run mutmut on one target in a copy of the repository, with a [tool.mutmut] narrowed to that target.

The copy (``WORKDIR/<target>/``, rsync of the tree without .venv, .git, mutants and build) keeps the
working tree free of mutmut's ``mutants/`` folder and lets several targets keep their results side by
side for ``mutmut show``. mutmut runs under ``nice -n 19`` with at most ``max_children`` workers, so it
yields to any other work on the machine.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

from tools.mutation.targets import Target

ROOT = Path(__file__).resolve().parents[2]
WORKDIR = Path("/tmp/mutwork")
_EXCLUDES = (".venv", ".git", "mutants", "build", "dist", ".demo", ".hypothesis", ".import_linter_cache")
_LINE = re.compile(r"^\s*(?P<mutant>(?P<module>[\w.]+)\.x\S*__mutmut_\d+): (?P<status>[\w ]+)$")
VERDICTS = "verdicts.json"
_SECTION = re.compile(r"^\[tool\.mutmut\]\n(?:(?!\[).*\n|\n)*", re.MULTILINE)


def copy_of(target: Target, *, workdir: Path = WORKDIR) -> Path:
    return workdir / target.name


def narrowed_config(pyproject: str, target: Target) -> str:
    """``pyproject`` with [tool.mutmut] mutating only ``target.sources``, judged by ``target.tests``."""
    section = tomllib.loads(pyproject).get("tool", {}).get("mutmut")
    if section is None:
        raise ValueError("pyproject.toml has no [tool.mutmut] section to narrow")
    section["source_paths"] = list(target.sources)
    section["pytest_add_cli_args_test_selection"] = list(target.tests)
    section["use_git_change_detection"] = False  # the copy has no .git
    extra = ["-k", target.keyword] if target.keyword else []
    if target.test_timeout:
        extra.append(f"--timeout={target.test_timeout}")
    if extra:
        section["pytest_add_cli_args"] = [*section.get("pytest_add_cli_args", []), *extra]
    lines = ["[tool.mutmut]"]
    for key, value in section.items():
        lines.append(f"{key} = {_toml(value)}")
    text = _SECTION.sub("\n".join(lines) + "\n\n", pyproject, count=1)
    assert tomllib.loads(text)["tool"]["mutmut"] == section
    return text


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} into [tool.mutmut]")


def prepare(target: Target, *, workdir: Path = WORKDIR, fresh: bool = True) -> Path:
    """Refresh the target's copy from the working tree; ``fresh`` drops mutmut's earlier results."""
    copy = copy_of(target, workdir=workdir)
    copy.mkdir(parents=True, exist_ok=True)
    excludes = [arg for name in _EXCLUDES for arg in ("--exclude", f"/{name}")]
    subprocess.run(
        ["rsync", "-a", "--delete", *excludes, "--exclude", "__pycache__", f"{ROOT}/", f"{copy}/"],
        check=True,
    )
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(narrowed_config(pyproject.read_text(), target))
    if fresh:
        shutil.rmtree(copy / "mutants", ignore_errors=True)
    return copy


def run(
    target: Target,
    *,
    workdir: Path = WORKDIR,
    max_children: int = 2,
    fresh: bool = True,
    alive_only: bool = False,
) -> tuple[Path, dict[str, str]]:
    """Run mutmut for ``target`` in its copy (its output goes to ``<copy>/mutmut.log``); returns the copy
    and every mutant's status, also kept in ``<copy>/verdicts.json``.

    ``alive_only``: run again only the mutants the last run left alive, judged by the target's current
    tests, and keep every other verdict. Adding tests cannot revive a killed mutant, so this measures
    what a whole run would, in the time of the survivors alone; the target's sources must not have
    changed since that run (mutmut numbers the mutants of the files it mutated then)."""
    copy = copy_of(target, workdir=workdir)
    names: list[str] = []
    before: dict[str, str] = {}
    if alive_only:
        before = verdicts(copy)
        if not before:
            raise ValueError(f"{target.name} has no earlier run in {copy} to take the survivors of")
        changed = changed_sources(target, copy)
        if changed:
            raise ValueError(
                f"{target.name}: sources changed since its last run ({', '.join(changed)}); run it fresh"
            )
        names = sorted(m for m, status in before.items() if status in ALIVE)
    prepare(target, workdir=workdir, fresh=fresh and not alive_only)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if not alive_only or names:
        with (copy / "mutmut.log").open("w") as log:
            subprocess.run(
                ["nice", "-n", "19", mutmut, "run", "--max-children", str(max_children), *names],
                cwd=copy,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
    found = statuses(copy)
    if alive_only:
        found = {m: found.get(m, status) if m in names else status for m, status in before.items()}
    (copy / VERDICTS).write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    return copy, found


def verdicts(copy: Path) -> dict[str, str]:
    """Every mutant's status after the last run in ``copy`` (merged, after an ``alive_only`` run)."""
    saved = copy / VERDICTS
    if saved.exists():
        return json.loads(saved.read_text())
    return statuses(copy) if (copy / "mutants").is_dir() else {}


def changed_sources(target: Target, copy: Path) -> list[str]:
    """The target's source files that differ between the working tree and ``copy``."""
    changed = []
    for source in target.sources:
        here = ROOT / source
        files = sorted(here.rglob("*.py")) if here.is_dir() else [here]
        for path in files:
            there = copy / path.relative_to(ROOT)
            if not there.exists() or not filecmp.cmp(path, there, shallow=False):
                changed.append(str(path.relative_to(ROOT)))
    return changed


def statuses(copy: Path) -> dict[str, str]:
    """Each mutant's status in ``copy`` (``mutmut results --all true``)."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m["mutant"]: m["status"].strip() for m in map(_LINE.match, out.splitlines()) if m}


KILLED = ("killed", "timeout", "segfault", "caught by type check")  # the test run noticed the mutant
ALIVE = ("survived", "no tests", "suspicious")  # it did not, or could not tell
# "timeout": the mutant made the tests hang (an infinite loop); "segfault" is any death by signal.


def counts(found: dict[str, str]) -> dict[str, int | float]:
    """Mutants, killed, survived, timeouts and suspicious ones, no tests, and the score (killed share)."""
    tally = Counter(found.values())
    killed = sum(tally[s] for s in KILLED)
    judged = killed + sum(tally[s] for s in ALIVE)
    return {
        "mutants": sum(tally.values()),
        "killed": killed,
        "survived": tally["survived"],
        "timeout": tally["timeout"],
        "suspicious": tally["suspicious"],
        "no_tests": tally["no tests"],
        "not_run": sum(tally.values()) - judged,
        "score": round(100.0 * killed / judged, 1) if judged else 0.0,
    }

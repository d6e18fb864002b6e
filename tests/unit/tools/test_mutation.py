"""tools.mutation: each target's narrowed mutmut config, the score arithmetic and the page it writes."""

import tomllib
from pathlib import Path

import pytest

from tools.mutation import record, runner
from tools.mutation.targets import TARGETS, target

ROOT = Path(__file__).resolve().parents[3]


def test_every_target_names_files_and_tests_that_exist():
    for each in TARGETS:
        for path in each.sources + each.tests:
            assert (ROOT / path).exists(), f"{each.name}: {path}"


def test_a_narrowed_config_keeps_the_rest_of_pyproject():
    original = (ROOT / "pyproject.toml").read_text()
    narrowed = tomllib.loads(runner.narrowed_config(original, target("shared.uin")))
    section = narrowed["tool"]["mutmut"]
    assert section["source_paths"] == ["shared/uin.py"]
    assert section["pytest_add_cli_args_test_selection"] == ["tests/unit/shared/test_uin.py"]
    assert section["also_copy"] == tomllib.loads(original)["tool"]["mutmut"]["also_copy"]
    assert narrowed["project"] == tomllib.loads(original)["project"]
    packet = tomllib.loads(runner.narrowed_config(original, target("shared.packet")))["tool"]["mutmut"]
    assert packet["pytest_add_cli_args"][-3:] == ["-k", "not every_layout_reads_as_zipfile", "--timeout=20"]
    with pytest.raises(ValueError, match="no \\[tool.mutmut\\]"):
        runner.narrowed_config("[project]\nname = 'x'\n", target("shared.uin"))


def test_counts_score_killed_over_every_judged_mutant():
    found = {
        f"m{i}": s for i, s in enumerate(["killed"] * 6 + ["timeout", "survived", "no tests", "not checked"])
    }
    measured = runner.counts(found)
    assert measured["mutants"] == 10 and measured["killed"] == 7 and measured["not_run"] == 1
    assert measured["score"] == pytest.approx(77.8)


def test_the_page_gets_first_and_latest_runs_and_the_selection(tmp_path):
    scores = tmp_path / "scores.json"
    uin = target("shared.uin")
    base = {"mutants": 10, "survived": 0, "timeout": 0, "suspicious": 0, "no_tests": 0, "not_run": 0}
    record.remember(uin, {**base, "killed": 7, "survived": 3, "score": 70.0}, first=True, path=scores)
    record.remember(uin, {**base, "killed": 10, "score": 100.0}, first=False, path=scores)
    text = record.table(record.load(scores))
    assert "| `shared.uin` | first run" in text and "| 70 % | gap |" in text
    assert "| `shared.uin` | after tests" in text and "| 100 % | met |" in text
    assert "- `shared.uin`: `shared/test_uin.py`" in text and "Not run yet: `shared.rid`" in text
    page = tmp_path / "testing.md"
    page.write_text(f"intro\n{record.START}\nold\n{record.END}\nafter\n")
    record.write(page, text)
    assert page.read_text() == f"intro\n{record.START}\n{text}\n{record.END}\nafter\n"

"""shared.cli_output: --json documents (and the JSON error object shared.cli adds), progress on stderr
only where it belongs: a bar on a terminal (a real pseudo-terminal here), lines on request, never with
--json or into a pipe."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from shared.cli import main
from shared.cli_output import amount, echo_json, json_option, jsonable, progress
from tests.support.terminal import run_on_a_terminal


class Colour(enum.Enum):
    red = "red"


class Model(BaseModel):
    at: dt.datetime


@dataclass
class Row:
    when: dt.date
    where: Path


def test_jsonable_writes_utc_iso_dates_and_refuses_what_it_does_not_know():
    naive = dt.datetime(2026, 12, 7, 3, 48, 58, 123456)  # SQLite's: UTC without a zone
    paris = dt.datetime(2026, 12, 7, 4, 48, 58, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert jsonable(
        {
            "a": naive,
            "b": paris,
            "c": Colour.red,
            "d": Model(at=naive),
            "e": Row(dt.date(2026, 1, 2), Path("/x")),
        }
    ) == {
        "a": "2026-12-07T03:48:58Z",
        "b": "2026-12-07T03:48:58Z",
        "c": "red",
        "d": {"at": "2026-12-07T03:48:58Z"},
        "e": {"when": "2026-01-02", "where": "/x"},
    }
    assert jsonable({"s": {"b", "a"}, "t": (1, None)}) == {"s": ["a", "b"], "t": [1, None]}
    with pytest.raises(TypeError):
        jsonable({"secret": object()})  # never a repr that could carry anything


def test_amounts_are_for_people():
    assert [amount(n, "bytes") for n in (12, 12_300, 4_500_000, 7_000_000_000)] == [
        "12 B",
        "12.3 kB",
        "4.5 MB",
        "7.0 GB",
    ]
    assert amount(1234567, "rows") == "1,234,567"


class _EntryPoint:
    def __init__(self, command):
        self.command, self.value = command, "tests:command"

    def load(self):
        return self.command


class Offline(RuntimeError):
    exit_code = 75


def _probe(monkeypatch, *, fail: BaseException | None = None, document: bool = False):
    """``openreg probe [--json]``: shows progress, prints a document and/or fails."""
    import shared.cli

    @click.command()
    @json_option
    def probe(as_json: bool) -> None:
        with progress() as display:
            for n in range(1, 4):
                display.show("probe", n * 1000, total=3000, unit="bytes", item=f"part {n}")
        if document:
            echo_json({"done": 3000} if as_json else {})
        if fail is not None:
            raise fail
        if not as_json:
            click.echo("done")

    monkeypatch.setattr(shared.cli, "_command_entry_points", lambda: {"probe": _EntryPoint(probe)})


def test_json_errors_keep_the_line_and_code_and_add_one_error_object(monkeypatch):
    _probe(monkeypatch, fail=Offline("the server is not reachable"))
    result = CliRunner().invoke(main, ["probe", "--json"])
    assert result.exit_code == 75
    message = "the server is not reachable (run with --debug for details)"
    assert json.loads(result.stdout) == {"error": {"message": message, "exit_code": 75}}
    assert result.stderr.splitlines() == [f"Error: {message}"]
    # without --json: stdout stays empty, as before
    plain = CliRunner().invoke(main, ["probe"])
    assert plain.exit_code == 75 and plain.stdout == ""


def test_a_failure_after_the_document_adds_no_second_document(monkeypatch):
    _probe(monkeypatch, fail=click.ClickException("run failed"), document=True)
    result = CliRunner().invoke(main, ["probe", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout) == {"done": 3000}
    assert "run failed" in result.stderr


def test_click_errors_carry_their_details_into_the_object(monkeypatch):
    refused = click.ClickException("import refused")
    refused.details = {"problems": [{"file": "a.csv", "row": 3}]}
    refused.exit_code = 65
    _probe(monkeypatch, fail=refused)
    result = CliRunner().invoke(main, ["probe", "--json"])
    error = json.loads(result.stdout)["error"]
    assert result.exit_code == 65 and error["details"]["problems"][0]["row"] == 3


def test_no_progress_into_a_pipe_nor_with_json_and_lines_on_request(monkeypatch):
    _probe(monkeypatch)
    piped = CliRunner().invoke(main, ["probe"])  # CliRunner's stderr is no terminal
    assert piped.exit_code == 0 and piped.stderr == "" and piped.stdout == "done\n"
    lines = CliRunner().invoke(main, ["--progress", "lines", "probe"])
    assert lines.stderr.splitlines() == [
        "probe: 1.0 kB/3.0 kB  part 1",
        "probe: 2.0 kB/3.0 kB  part 2",
        "probe: 3.0 kB/3.0 kB  part 3",
    ]
    quiet = CliRunner().invoke(
        main, ["--progress", "lines", "probe", "--json"], env={"OPENREG_PROGRESS": "lines"}
    )
    assert quiet.stderr == "" and quiet.stdout == ""  # --json: no progress, whatever was asked


def test_a_terminal_gets_a_bar_with_counts_and_an_eta():
    code = """
import time, click
from shared.cli_output import progress

@click.command()
def slow():
    with progress() as display:
        for n in range(1, 31):
            time.sleep(0.1)
            display.show("copy", n * 100_000, total=3_000_000, unit="bytes", item=f"file {n}")
    click.echo("done")

slow()
"""
    status, out, terminal = run_on_a_terminal([sys.executable, "-c", code], env={"OPENREG_PROGRESS": "auto"})
    assert status == 0 and out == "done\n"  # stdout is not the terminal: nothing but the result
    assert "copy" in terminal and "3.0 MB/3.0 MB" in terminal and "file 30" in terminal
    assert "100%" in terminal and "\r" in terminal  # one line redrawn in place
    assert any(f"00:00:0{s}" in terminal for s in range(1, 4))  # an ETA while it ran

"""The shipped autostart files start the kiosk through ``launch.py run`` with arguments it accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from shared.release.kiosk_launcher import build_parser, openreg_args

AUTOSTART = Path(__file__).resolve().parents[4] / "installers" / "autostart"


def launcher_argv(line: str, *, posix: bool) -> list[str]:
    words = shlex.split(line, posix=posix)
    index = next(i for i, w in enumerate(words) if w.strip('"').endswith("launch.py"))
    return [w.strip('"') for w in words[index + 1 :]]


@pytest.mark.parametrize(
    ("name", "prefix", "posix"),
    [("openreg-kiosk.service", "ExecStart=", True), ("openreg-kiosk.cmd", "py ", False)],
)
def test_autostart_runs_the_launcher_into_the_gui(name, prefix, posix):
    (line,) = [ln for ln in (AUTOSTART / name).read_text().splitlines() if ln.startswith(prefix)]
    args = build_parser(Path("/opt/openreg")).parse_args(launcher_argv(line, posix=posix))
    assert args.command == "run"
    assert openreg_args(args)[:3] == ["client", "gui", "--data"]

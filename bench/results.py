"""One line per measured goal, in a form ``bench/run_all.py`` collects into docs/performance.md.

A benchmark prints its human-readable figures as before and, for each goal of issue 22, calls
:func:`result`, which prints ``RESULT<TAB>measure<TAB>value<TAB>goal<TAB>met`` (``met`` is ``yes``,
``no`` or ``-`` when the figure has no pass mark). ``value`` is the ratio to the baseline measured in the
same run, or the absolute figure where the goal has no baseline (memory, a latency).
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "RESULT\t"


def result(measure: str, value: str, goal: str, met: bool | None) -> None:
    """Print one collectable result line (flushed, so a runner reading a pipe sees it at once)."""
    mark = "-" if met is None else ("yes" if met else "no")
    for text in (measure, value, goal):
        if "\t" in text or "\n" in text:
            raise ValueError(f"no tabs or newlines in a result field: {text!r}")
    print(f"{PREFIX}{measure}\t{value}\t{goal}\t{mark}", flush=True)


def peak_rss_mb() -> float:
    """Peak resident set of this process in MB (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    """Start VmHWM again from the current RSS (Linux >= 4.0: write 5 to clear_refs); False if refused."""
    try:
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def load_note() -> str:
    """``N CPUs, load a/b/c``: printed by each benchmark so figures can be read against the load."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} / {five:.2f} / {fifteen:.2f}"

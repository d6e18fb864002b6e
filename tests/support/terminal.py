"""Run a command with its stderr on a pseudo-terminal, as an operator's shell would, to see what a
terminal shows (progress bars are drawn only there)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_on_a_terminal(
    argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """(exit status, stdout, what the terminal received) of ``argv`` run in the project folder with
    stdout on a pipe and stderr on a pseudo-terminal 120 columns wide."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # Linux: EIO once the child has closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif child.poll() is not None:
                break
        out = child.stdout.read().decode() if child.stdout else ""
        return child.wait(timeout=30), out, seen.decode(errors="replace")
    finally:
        os.close(leader)
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)

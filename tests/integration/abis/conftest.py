"""The reference ABIS as a real process (``python -m abis_service``) on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


class AbisProcess:
    def __init__(self, db: Path, port: int = 0) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "abis_service",
                "--port",
                str(port),
                "--db",
                str(db),
                "--log-level",
                "WARNING",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "ready http://127.0.0.1:PORT"; empty if it died
        if not line.startswith("ready "):
            self.process.kill()
            raise RuntimeError(f"the ABIS did not start: {line!r}")
        self.url = line.split()[1]

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def abis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AbisProcess]:
    """One ABIS process per test module (it takes seconds to import its matchers); tests use their own ids."""
    process = AbisProcess(tmp_path_factory.mktemp("abis") / "gallery.db")
    yield process
    if process.process.poll() is None:
        assert process.stop() == 0

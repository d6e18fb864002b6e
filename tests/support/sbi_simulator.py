"""Start the SBI simulator as a real separate process (``python -m demo.sbi_simulator``).

Fixtures: ``sbi_simulator`` (module-scoped, one process serving finger+iris+face) and
``start_sbi_simulator`` (factory for extra processes, e.g. one that will disappear). Other areas (client
core, GUI, demo tests) can reuse them; trust ``sim.ca_pem`` as the device-certificate anchor.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.ports import free_port


@dataclass
class SimulatorProcess:
    process: subprocess.Popen
    port: int
    state_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_pem(self) -> Path:
        return self.state_dir / "ca.pem"

    def admin(self, **knobs: object) -> dict:
        answer = requests.post(f"{self.url}/admin", json=knobs, timeout=5)
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch_simulator(state_dir: Path, *, port: int | None = None, profile: str = "all") -> SimulatorProcess:
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo.sbi_simulator",
            "--port",
            str(port),
            "--profile",
            profile,
            "--state-dir",
            str(state_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    ready = state_dir / f"simulator-{port}.json"
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"simulator exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("simulator did not start within 30 s")
        time.sleep(0.05)
    assert json.loads(ready.read_text())["port"] == port
    return SimulatorProcess(process, port, state_dir)


@pytest.fixture(scope="module")
def sbi_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    sim = launch_simulator(tmp_path_factory.mktemp("sbi-sim"))
    yield sim
    sim.stop()


@pytest.fixture
def start_sbi_simulator(tmp_path: Path) -> Iterator[Callable[..., SimulatorProcess]]:
    started: list[SimulatorProcess] = []

    def start(**kwargs: object) -> SimulatorProcess:
        sim = launch_simulator(tmp_path / f"sim{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()

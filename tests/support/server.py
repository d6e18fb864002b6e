"""Start the real sync server (``openreg server``) as a subprocess on a free port, for any test area.

Fixtures: ``start_sync_server`` (a factory: ``start_sync_server(data_dir, db_url=None, demo=True,
env=None, workers=0, args=()) -> RunningServer``, ``args`` appended to the command line, e.g.
``--certfile``/``--keyfile``; every server it started is killed at test end) and ``sync_server``
(a demo server on SQLite in tmp_path). ``RunningServer`` has ``url``, ``data_dir``, ``process``,
``kill()`` (SIGKILL), ``stop()`` (SIGTERM) and ``restart()``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT_S = 60.0


class RunningServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        db_url: str | None,
        demo: bool,
        env: dict[str, str] | None,
        workers: int = 0,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir, self.db_url, self.demo, self.env = data_dir, db_url, demo, env
        self.args = tuple(args)
        # Intake tests upload random bytes; processing them would reject them under the test's feet,
        # so processing workers are opt-in here.
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.start()

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "shared", "server", "--data", str(self.data_dir), "--port", "0"]
        cmd += ["--workers", str(self.workers)]
        if self.db_url:
            cmd += ["--db", self.db_url]
        if self.demo:
            cmd.append("--demo")
        return [*cmd, *self.args]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        info = self.data_dir / "server.json"
        info.unlink(missing_ok=True)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(self.env or {})}
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                data = json.loads(info.read_text())
                if data["pid"] == self.process.pid:
                    self.url = data["url"]
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not write server.json in {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return (self.data_dir / "server.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def start_sync_server() -> Iterator:
    started: list[RunningServer] = []

    def start(
        data_dir: Path,
        *,
        db_url: str | None = None,
        demo: bool = True,
        env: dict[str, str] | None = None,
        workers: int = 0,
        args: tuple[str, ...] = (),
    ) -> RunningServer:
        server = RunningServer(data_dir, db_url=db_url, demo=demo, env=env, workers=workers, args=args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def sync_server(start_sync_server, tmp_path: Path) -> RunningServer:
    return start_sync_server(tmp_path / "server")

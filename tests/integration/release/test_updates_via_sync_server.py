"""The kiosk updater against the real sync server process serving the update repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client.core.updates import UpdateManager, update_source_for_server

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")

# The server settings field is ``update_repo_dir``; pydantic-settings reads it from this variable.
UPDATE_REPO_ENV = "OPENREG_UPDATE_REPO_DIR"


def _start_server(data_dir: Path, repo_dir: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, **{UPDATE_REPO_ENV: str(repo_dir)})
    process = subprocess.Popen(
        [sys.executable, "-m", "shared", "server", "--data", str(data_dir), "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (data_dir / "server.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"sync server did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    return process, json.loads((data_dir / "server.json").read_text())["url"]


def test_update_over_the_sync_server_applies_and_rolls_back(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    manager = UpdateManager(
        install_root=tmp_path / "kiosk", trusted_root=(repo.metadata_dir / "1.root.json").read_bytes()
    )
    manager.install_first(tiny_bundle("0.1.0"))
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    process, url = _start_server(tmp_path / "server", repo.directory)
    try:
        assert manager.check_and_stage(source=update_source_for_server(url)).version == "0.2.0"
        assert manager.apply_on_start().status == "updated"
        repo.publish(tiny_bundle("0.3.0", start_ok=False), keys=keys)
        assert manager.check_and_stage(source=update_source_for_server(url)).version == "0.3.0"
        outcome = manager.apply_on_start()
        assert outcome.status == "rolled_back" and manager.current_version == "0.2.0"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()

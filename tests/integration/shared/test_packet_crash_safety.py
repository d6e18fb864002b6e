"""SIGKILL a builder at random points: only whole, valid packets ever carry a packet name."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.packet import PARTIAL_PREFIX, open_packet, remove_partials
from shared.signing import private_key_to_bytes
from tests.unit.shared.packet.conftest import Keys

ROOT = Path(__file__).resolve().parents[3]


def _kill_trials(tmp_path: Path, trials: int) -> None:
    keys = Keys(tmp_path / "keys")
    out = tmp_path / "packets"
    out.mkdir()
    rng = random.Random(2026)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sealed_total = 0
    for trial in range(trials):
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.shared.packet_writer_child",
                str(out),
                keys.recipient,
                private_key_to_bytes(keys.machine).hex(),
                str(trial * 1000 + 1),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.15, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        for path in out.iterdir():
            if path.name.startswith(PARTIAL_PREFIX):
                continue  # a dead builder's temp file: never taken for a packet
            assert path.suffix == ".age", f"unexpected file {path.name}"
            opened = open_packet(path, identities=keys.identities, machine_public_key=keys.machine_public)
            assert path.name == f"{opened.contents.meta['rid']}.age"
            sealed_total += 1
        remove_partials(out)
        assert not [p for p in out.iterdir() if p.name.startswith(PARTIAL_PREFIX)]
    # The kills must have landed both between and during writes for the test to mean anything.
    assert sealed_total > 0


def test_killed_builder_leaves_whole_packets_or_none(tmp_path):
    _kill_trials(tmp_path, trials=12)


@pytest.mark.slow
def test_killed_builder_many_trials(tmp_path):
    _kill_trials(tmp_path, trials=100)

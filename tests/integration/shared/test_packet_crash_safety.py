"""SIGKILL a builder at random points: only whole, valid packets ever carry a packet name."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.packet import PARTIAL_PREFIX, PacketError, open_packet, remove_partials
from shared.signing import private_key_to_bytes
from tests.unit.shared.packet.conftest import Keys

ROOT = Path(__file__).resolve().parents[3]


def _kill_trials(tmp_path: Path, trials: int) -> None:
    keys = Keys(tmp_path / "keys")
    out = tmp_path / "packets"
    out.mkdir()
    rng = random.Random(2026)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    verified: set[str] = set()
    partials_seen = refused_partials = 0
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
            stdout=subprocess.PIPE,
        )
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.12))  # a 2 MB seal takes tens of ms: kills land before/in/after
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        for path in sorted(out.iterdir()):
            if path.name.startswith(PARTIAL_PREFIX):
                # A dead builder's temp file: never named like a packet. If the kill came after the last
                # byte (before the rename) it is even whole; otherwise the reader must refuse it.
                partials_seen += 1
                try:
                    open_packet(path, identities=keys.identities, machine_public_key=keys.machine_public)
                except PacketError:
                    refused_partials += 1
                continue
            assert path.suffix == ".age" and not path.name.startswith("."), f"unexpected file {path.name}"
            if path.name in verified:
                continue
            opened = open_packet(path, identities=keys.identities, machine_public_key=keys.machine_public)
            assert path.name == f"{opened.contents.meta['rid']}.age"
            verified.add(path.name)
        remove_partials(out)
        assert not [p for p in out.iterdir() if p.name.startswith(PARTIAL_PREFIX)]
    # The kills must have landed both between and during writes for the test to mean anything.
    assert verified, "no kill landed after a finished packet"
    assert partials_seen and refused_partials, "no kill landed in the middle of a write"


def test_killed_builder_leaves_whole_packets_or_none(tmp_path):
    _kill_trials(tmp_path, trials=20)


@pytest.mark.slow
def test_killed_builder_many_trials(tmp_path):
    _kill_trials(tmp_path, trials=150)

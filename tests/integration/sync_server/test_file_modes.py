"""Server files (data dir, database, keys, packet blobs) are owner-only whatever the umask, and files an
older version left readable are tightened on the next start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.integration.sync_server.kiosk import Kiosk, random_packet

# Made by the test harness (log) and the runner (url + pid, nothing secret), not by the server's stores.
NOT_PRIVATE = {"server.log", "server.json"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loose(data_dir: Path) -> list[str]:
    loose = [] if _mode(data_dir) == 0o700 else [f"{data_dir} {oct(_mode(data_dir))}"]
    for path in data_dir.rglob("*"):
        if path.name in NOT_PRIVATE:
            continue
        want = 0o700 if path.is_dir() else 0o600
        if _mode(path) != want:
            loose.append(f"{path.relative_to(data_dir)} {oct(_mode(path))}")
    return loose


@pytest.fixture
def open_umask():
    """The server inherits the test's umask: make it 0 so nothing but explicit modes protects the files."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_server_files_are_owner_only_even_with_umask_zero(start_sync_server, tmp_path, open_umask):
    server = start_sync_server(tmp_path / "server")
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    whole, half = kiosk.new_rid(), kiosk.new_rid()
    data = random_packet(300_000)
    assert kiosk.register(whole, data).status_code in (200, 201)
    kiosk.upload(whole, data)
    assert kiosk.register(half, data).status_code in (200, 201)
    assert kiosk.patch(half, 0, data[:1000]).status_code == 204
    data_dir = server.data_dir
    expected = [
        data_dir / "server.db",
        data_dir / "keys" / "packet-identity.txt",
        data_dir / "keys" / "signing-key.ed25519",
        data_dir / "packets" / f"{whole}.age",
        data_dir / "packets" / "partial" / f"{half}.part",
    ]
    assert all(p.exists() for p in expected), sorted(str(p) for p in data_dir.rglob("*"))
    assert _loose(data_dir) == []


def test_files_left_readable_by_an_older_version_are_tightened(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server")
    server.stop()
    data_dir = server.data_dir
    widened = [data_dir, data_dir / "keys", data_dir / "packets", data_dir / "packets" / "partial"]
    for path in widened:
        os.chmod(path, 0o755)
    for path in [data_dir / "server.db", *(data_dir / "keys").iterdir()]:
        os.chmod(path, 0o644)
    assert _loose(data_dir)
    server.restart()
    assert _loose(data_dir) == []

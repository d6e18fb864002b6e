"""A real OpenSSH server on a free local port for SFTP delivery tests (no root needed)."""

import getpass
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port

SSHD = "/usr/sbin/sshd"  # sshd refuses to start unless run by absolute path


@dataclass
class SshServer:
    host: str
    port: int
    username: str
    client_key: Path
    known_hosts: Path
    root: Path


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("sshd did not start listening")


@pytest.fixture
def sshd(tmp_path):
    if not Path(SSHD).exists():
        pytest.skip("openssh-server is not installed (installers/system-deps.sh)")
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        # Run as root, sshd insists on its compiled-in privilege separation directory (Debian's
        # service unit creates it the same way).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    base = tmp_path / "sshd"
    base.mkdir(mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "host_key")], check=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "client_key")], check=True
    )
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    (base / "authorized_keys").chmod(0o600)
    port = free_port()
    config = base / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {base / 'host_key'}",
                f"AuthorizedKeysFile {base / 'authorized_keys'}",
                f"PidFile {base / 'sshd.pid'}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, process)
        public = (base / "host_key.pub").read_text().split()
        known_hosts = base / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {public[0]} {public[1]}\n")
        root = tmp_path / "sftp-root"
        root.mkdir()
        yield SshServer("127.0.0.1", port, getpass.getuser(), base / "client_key", known_hosts, root)
    finally:
        process.terminate()
        process.wait(timeout=10)

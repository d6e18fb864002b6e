"""HAProxy (Debian's haproxy) in front of several server processes, on loopback, for scale-out tests and
benchmarks. It health-checks ``/health/ready``, balances round robin and re-dispatches a request whose
connection to a server fails to another one; a server killed mid-request costs the client that request
only (a 502), which the kiosk's resume protocol absorbs."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from tests.support.ports import free_port

CONFIG = """global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend openreg
    bind 127.0.0.1:{port}
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
{servers}
"""


class Balancer:
    """``Balancer(folder, ["127.0.0.1:8001", ...])``: started at once; ``url``; ``stop()``."""

    def __init__(self, folder: Path, backends: list[str]) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise FileNotFoundError("haproxy is not installed (installers/system-deps.sh installs it)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server s{i} {address} check" for i, address in enumerate(backends))
        config = folder / "haproxy.cfg"
        config.write_text(CONFIG.format(port=self.port, servers=servers))
        self.log = open(folder / "haproxy.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [binary, "-f", str(config), "-db"], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("haproxy did not route to a ready server in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()

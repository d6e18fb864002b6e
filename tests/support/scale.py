"""Several ``openreg server`` and ``openreg worker`` processes on one PostgreSQL database and one packet
store behind HAProxy, as a scaled-out deployment runs them (docs/operations.md, "Scale-out"), and
kiosks that seal packets and upload them through it, resuming as the real kiosk does.

Each server has its own data folder (its ``server.json``, logs) whose ``keys`` and ``packets`` are the
first server's, as a deployment mounts the same keys and packet store on every machine; with ``env``
naming an S3 blob store (tests.support.s3) only the keys are shared that way, the packets are in the
bucket.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from shared.packet import BiometricRecord, Document, PacketContents, seal_packet
from tests.integration.sync_server.kiosk import Kiosk
from tests.support.balancer import Balancer
from tests.support.packets import PERSON

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("keys", "packets")


class Cluster:
    def __init__(
        self,
        start_sync_server,
        folder: Path,
        db_url: str,
        *,
        servers: int,
        workers: int,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder, self.db_url, self.env = folder, db_url, env or {}
        first = start_sync_server(folder / "server0", db_url=db_url, workers=0, env=self.env)
        self.servers = [first]
        shared = ("keys",) if "OPENREG_SERVER_BLOB_STORE" in self.env else SHARED
        for n in range(1, servers):
            data = folder / f"server{n}"
            data.mkdir(parents=True)
            for name in shared:
                (data / name).symlink_to(first.data_dir / name, target_is_directory=True)
            self.servers.append(start_sync_server(data, db_url=db_url, workers=0, env=self.env))
        self.workers = [self._worker(n) for n in range(workers)]
        backends = [server.url.removeprefix("http://") for server in self.servers]
        self.balancer = Balancer(folder, backends)
        self.url = self.balancer.url

    def _worker(self, n: int) -> subprocess.Popen:
        log = open(self.folder / f"worker{n}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared",
                "worker",
                "--data",
                str(self.servers[0].data_dir),
                "--db",
                self.db_url,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, **self.env},
        )
        log.close()
        return process

    def stop(self) -> None:
        self.balancer.stop()
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for server in self.servers:
            server.stop()


DOCUMENT_BYTES = 600_000  # incompressible, so each upload takes many chunks
CHUNK = 32 * 1024


def sealed(kiosk: Kiosk, n: int, folder) -> tuple[str, bytes]:
    rid = kiosk.new_rid()
    given = ("Amina", "Kofi", "Lena", "Omar", "Sara", "Yusuf", "Nadia", "Tariq")[n % 8]
    family = ("Diallo", "Mensah", "Okafor", "Haddad")[n // 8 % 4]
    # A birth year of its own for each of 80 people in a row: no two are dedupe candidates.
    person = PERSON | {"fullName": f"{given} {family}", "dateOfBirth": f"{1940 + n % 80}-03-{1 + n % 27:02d}"}
    document = Document("DOC001", "application/pdf", b"%PDF-1.4 " + os.urandom(DOCUMENT_BYTES),
                        "proofOfIdentity", "id.pdf")  # fmt: skip
    contents = PacketContents(
        demographics=person,
        documents=[document],
        biometrics=[
            BiometricRecord(m, sub, "ISO19794", 85, {}, f"ISO {sub} {n}".encode())
            for m, sub in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
        ],
        meta={
            "rid": rid,
            "center_id": "10001",
            "machine_id": kiosk.machine_id,
            "operator_id": "operator1",
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "id_schema_version": 1,
        },
    )
    packet = seal_packet(contents, machine_key=kiosk.key, recipients=kiosk.enrolment["packet_recipients"],
                         out_dir=folder)  # fmt: skip
    return rid, packet.path.read_bytes()


def upload_resuming(kiosk: Kiosk, rid: str, data: bytes, *, deadline: float) -> int:
    """The kiosk's protocol through a balancer that may lose a server: register (idempotent), then ask
    the offset and send the next chunk until the server holds every byte. Returns the attempts that failed."""
    failures, registered = 0, False
    while time.monotonic() < deadline:
        try:
            if not registered:
                answer = kiosk.register(rid, data)
                if answer.status_code >= 500:
                    raise requests.ConnectionError(answer.status_code)
                assert answer.status_code in (200, 201), answer.text
                registered = True
            head = kiosk.offset(rid)
            if head.status_code >= 500:
                raise requests.ConnectionError(head.status_code)
            offset = int(head.headers["Upload-Offset"])
            if offset == len(data):
                return failures
            answer = kiosk.patch(rid, offset, data[offset : offset + CHUNK])
            if answer.status_code >= 500:
                raise requests.ConnectionError(answer.status_code)
            assert answer.status_code in (204, 409), answer.text
        except requests.RequestException:
            failures += 1
            time.sleep(0.2)
    raise AssertionError(f"{rid} not uploaded in time")

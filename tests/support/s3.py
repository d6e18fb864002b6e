"""A real S3-compatible server for tests: moto's standalone server (``moto[server]``) in its own process
on a free loopback port, started once per session. ``s3_server`` yields an ``S3Server``: its
``endpoint``, a fresh ``bucket()`` per test, the ``env`` a server process needs to keep its packet
blobs there, and ``store()`` (an ``S3BlobStore`` in this process).

The credentials are throwaway test values, set for the session (botocore reads them from the
environment, as a production server does); the metadata services are switched off.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.ports import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "openreg-test-key",
    "AWS_SECRET_ACCESS_KEY": "openreg-test-secret",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_BUCKETS = itertools.count(1)


def start_moto(port: int, log: Path) -> subprocess.Popen:
    """moto's server on 127.0.0.1:``port``, answering once this returns."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen

    def settings(self, data_dir: Path, bucket: str, prefix: str = "packets", **more: Any):
        from sync_server.settings import ServerSettings

        return ServerSettings(
            data_dir=data_dir, blob_store=f"s3://{bucket}/{prefix}", s3_endpoint_url=self.endpoint, **more
        )

    def client(self) -> Any:
        from sync_server.services.blob_store_open import s3_client

        return s3_client(self.settings(Path("/nonexistent"), "unused"), attempts=3, timeout_s=10)

    def bucket(self) -> str:
        """A new, empty bucket."""
        name = f"openreg-test-{os.getpid()}-{next(_BUCKETS)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def env(self, bucket: str, prefix: str = "packets") -> dict[str, str]:
        """What ``openreg server`` / ``openreg worker`` need to keep packet blobs in ``bucket``."""
        return {
            **CREDENTIALS,
            "OPENREG_SERVER_BLOB_STORE": f"s3://{bucket}/{prefix}",
            "OPENREG_SERVER_S3_ENDPOINT_URL": self.endpoint,
        }

    def store(self, data_dir: Path, bucket: str | None = None, **more: Any):
        from sync_server.services.blob_store_open import open_blob_store

        return open_blob_store(self.settings(data_dir, bucket or self.bucket(), **more))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    process = start_moto(port, tmp_path_factory.mktemp("moto") / "moto.log")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        try:
            yield S3Server(f"http://127.0.0.1:{port}", process)
        finally:
            stop(process)

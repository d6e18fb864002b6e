"""Deliver report artifacts: copy to a folder (default) and/or upload over SFTP with retry.

SFTP uploads go to a temporary name and are renamed when complete, so the receiving side never
picks up half a file; the checksum file travels with each artifact.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import paramiko
from tenacity import retry, stop_after_attempt, wait_exponential

from sync_server.reports.artifacts import Artifact


class Delivery(Protocol):
    """Where finished artifacts go; ``deliver`` returns a description of each destination."""

    name: str

    def deliver(self, artifacts: Sequence[Artifact]) -> list[str]: ...


@dataclass
class FolderDelivery:
    folder: Path
    name: str = "folder"

    def deliver(self, artifacts: Sequence[Artifact]) -> list[str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        placed = []
        for artifact in artifacts:
            for source in (artifact.path, artifact.checksum_path):
                target = self.folder / source.name
                if source.resolve() != target.resolve():
                    temp = target.with_name(f".{target.name}.part")
                    shutil.copyfile(source, temp)
                    temp.replace(target)
            placed.append(str(self.folder / artifact.path.name))
        return placed


@dataclass
class SftpDelivery:
    """Upload to ``host:port`` as ``username`` with a private key file; the host key must be known.

    ``known_hosts`` pins the server key (a report server should not trust whoever answers).
    """

    host: str
    port: int
    username: str
    key_file: Path
    remote_dir: str
    known_hosts: Path
    attempts: int = 4
    name: str = "sftp"

    def _upload_all(self, artifacts: Sequence[Artifact]) -> list[str]:
        client = paramiko.SSHClient()
        client.load_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(
            self.host,
            port=self.port,
            username=self.username,
            key_filename=str(self.key_file),
            allow_agent=False,
            look_for_keys=False,
            timeout=10,
        )
        try:
            sftp = client.open_sftp()
            try:
                sftp.stat(self.remote_dir)
            except FileNotFoundError:
                sftp.mkdir(self.remote_dir)
            placed = []
            for artifact in artifacts:
                for source in (artifact.path, artifact.checksum_path):
                    final = f"{self.remote_dir}/{source.name}"
                    sftp.put(str(source), final + ".part")
                    sftp.posix_rename(final + ".part", final)
                placed.append(
                    f"sftp://{self.username}@{self.host}:{self.port}/{self.remote_dir}/{artifact.path.name}"
                )
            return placed
        finally:
            client.close()

    def deliver(self, artifacts: Sequence[Artifact]) -> list[str]:
        attempt = retry(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.5, max=8),
            reraise=True,
        )(self._upload_all)
        return attempt(artifacts)


def delivery_from_config(config: dict, *, base_dir: Path) -> list[Delivery]:
    """Build deliveries from a definition's ``delivery`` JSON (``{"folder": ..., "sftp": {...}}``)."""
    deliveries: list[Delivery] = []
    if config.get("folder"):
        deliveries.append(FolderDelivery(Path(config["folder"])))
    if sftp := config.get("sftp"):
        deliveries.append(
            SftpDelivery(
                host=sftp["host"],
                port=int(sftp.get("port", 22)),
                username=sftp["username"],
                key_file=Path(sftp["key_file"]),
                remote_dir=sftp.get("remote_dir", "reports"),
                known_hosts=Path(sftp["known_hosts"]),
                attempts=int(sftp.get("attempts", 4)),
            )
        )
    return deliveries

"""Is this server ready for traffic? The database answers, the packet blob store takes files (the
packet folder: there, writable, with free space; a bucket: it answers HEAD with our credentials), the
keys are there. Each check answers a short fixed reason on failure (what an operator or a load balancer needs);
the underlying error goes to the log only."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from sync_server.keys import KeyFileError, current_packet_identity, require_keys
from sync_server.services.blob_store import BlobStore, LocalBlobStore

log = logging.getLogger(__name__)
OK = "ok"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # check name -> "ok" or why not

    @property
    def ready(self) -> bool:
        return all(result == OK for result in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != OK]


def check_readiness(
    *,
    engine: Engine,
    blob_dir: Path,
    data_dir: Path,
    min_free_bytes: int,
    blobs: BlobStore | None = None,
) -> Readiness:
    """``blobs``: the server's blob store (its own ``health``); None: the folder ``blob_dir``."""
    store = (
        blobs.health(min_free_bytes=min_free_bytes)
        if blobs is not None
        else _blob_store(blob_dir, min_free_bytes)
    )
    return Readiness({"database": _database(engine), "blob_store": store, "keys": _keys(data_dir)})


def _database(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return "unreachable"
    return OK


def _blob_store(folder: Path, min_free_bytes: int) -> str:
    return LocalBlobStore.health_of(folder, min_free_bytes)


def _keys(data_dir: Path) -> str:
    try:
        key_dir = require_keys(data_dir)
        identity, _ = current_packet_identity(key_dir)
    except (KeyFileError, OSError) as exc:
        log.warning("readiness: %s", exc)
        return "missing"
    if not os.access(identity, os.R_OK) or not os.access(key_dir / "signing-key.ed25519", os.R_OK):
        return "unreadable"
    return OK

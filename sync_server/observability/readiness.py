"""Is this server ready for traffic? The database answers, the packet folder takes files, the keys are
there. Each check answers a short fixed reason on failure (what an operator or a load balancer needs);
the underlying error goes to the log only."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from sync_server.keys import KeyFileError, current_packet_identity, require_keys

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


def check_readiness(*, engine: Engine, blob_dir: Path, data_dir: Path, min_free_bytes: int) -> Readiness:
    return Readiness(
        {
            "database": _database(engine),
            "blob_store": _blob_store(blob_dir, min_free_bytes),
            "keys": _keys(data_dir),
        }
    )


def _database(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return "unreachable"
    return OK


def _blob_store(folder: Path, min_free_bytes: int) -> str:
    if not folder.is_dir():
        return "missing"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "not writable"
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        log.warning("readiness: cannot stat %s: %s", folder, exc)
        return "unreadable"
    return OK if free >= min_free_bytes else "low on disk space"


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

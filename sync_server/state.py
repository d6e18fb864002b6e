"""What one running server holds: settings, engine, keys, blob store, snapshot cache."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from sync_server.keys import ServerKeys
from sync_server.services.blob_store import BlobStore
from sync_server.services.throttle import Guards
from sync_server.settings import ServerSettings


@dataclass
class ServerState:
    settings: ServerSettings
    engine: Engine
    keys: ServerKeys
    blobs: BlobStore
    # (center_id, cursor) -> (gzip body, signature): the log only grows, so a key never goes stale.
    snapshot_cache: dict[tuple[str | None, int], tuple[bytes, str]] = field(default_factory=dict)
    snapshot_lock: threading.Lock = field(default_factory=threading.Lock)
    # machine id -> when this process last stored its master-data sync time (write throttle).
    masterdata_sync_marks: dict[str, dt.datetime] = field(default_factory=dict)
    # The processing backend (workers, ID store, reports) when this process runs one; admin CLI
    # commands build a state without it.
    backend: Any | None = None
    # Per-address rate limits and the password-hashing bound (from settings).
    guards: Guards = field(init=False)

    def __post_init__(self) -> None:
        self.guards = Guards.from_settings(self.settings)

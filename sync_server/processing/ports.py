"""What the processing stages need from the rest of the server, as small interfaces.

The sync server implements these over its own tables (received packets, blobs, master data
history, server keys); tests may pass simple implementations of the same Protocols.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol


class ReceivedPackets(Protocol):
    def blob_path(self, rid: str) -> Path:
        """Where the complete uploaded sealed file for ``rid`` is stored."""
        ...

    def registered(self, rid: str) -> tuple[str, int]:
        """(sha256 hex, size) the kiosk registered for ``rid`` before uploading."""
        ...


class MasterDataHistory(Protocol):
    def entity_at(self, entity: str, entity_id: str, at: dt.datetime) -> Mapping[str, Any] | None:
        """The row of ``entity``/``entity_id`` as it was at ``at`` (None if absent or deleted then)."""
        ...

    def id_schema(self, schema_id: str, version: int) -> Mapping[str, Any] | None:
        """The ``schema`` JSON of that ID schema version (versions are kept forever)."""
        ...


class PacketOpener(Protocol):
    def __call__(self, path: Path, *, machine_public_key: str) -> Any:
        """Decrypt with the server identities (all key ids) and verify the machine signature;
        raises ``shared.packet.PacketError`` subclasses for bad packets."""
        ...


class QueueReceivedPackets:
    """``ReceivedPackets`` from the queue row itself: the server enqueues each complete upload with
    ``info={"path": <sealed file>, "sha256": <registered hex>, "size": <registered bytes>}``."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def _info(self, rid: str) -> Mapping[str, Any]:
        from sync_server.processing.queue import job_status

        state = job_status(self.engine, rid)
        if state is None or not state.get("info"):
            raise LookupError(f"packet {rid} was not queued with its path and registered hash")
        return state["info"]

    def blob_path(self, rid: str) -> Path:
        return Path(self._info(rid)["path"])

    def registered(self, rid: str) -> tuple[str, int]:
        info = self._info(rid)
        return str(info["sha256"]), int(info["size"])

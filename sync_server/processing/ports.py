"""What the processing stages need from the rest of the server, as small interfaces.

The sync server implements these over its own tables (received packets, blobs, master data
history, server keys; ``sync_server.services.packet_handover`` for intake and outcomes); tests may
pass simple implementations of the same Protocols.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection


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


@dataclass(frozen=True)
class ReceivedPacket:
    """A packet the sync server has fully received: where its sealed file is and what the kiosk
    registered for it (the verify stage checks the file against ``sha256`` and ``size``)."""

    rid: str
    path: Path
    sha256: str
    size: int
    center_id: str | None
    machine_id: str | None
    operator_id: str | None


class PacketIntake(Protocol):
    """Intake -> queue: the server's fully received packets. Workers sweep them into the queue, so a
    crash between upload and queueing cannot lose a packet."""

    def received_not_queued(self, *, limit: int) -> list[ReceivedPacket]:
        """Up to ``limit`` received packets that have no ``processing_jobs`` row yet."""
        ...


class PacketOutcomes(Protocol):
    """Outcome -> packet status: what the server's status endpoint shows the kiosk."""

    def record_outcome(
        self,
        conn: Connection,
        *,
        rid: str,
        status: str,
        uin: str | None,
        reason_code: str | None,
        reason: str | None,
    ) -> None:
        """Write the queue ``status`` of ``rid`` ('processed', 'rejected', 'retry', 'failed') as the
        packet's status, on ``conn``: inside the transaction that stores the outcome in the queue."""
        ...


class BiometricIdentify(Protocol):
    """The ABIS as processing sees it (``sync_server.abis`` adapts the ABIS port to this)."""

    def identify(self, *, rid: str, records: list[Any], gallery: list[str] | None) -> dict[str, float]:
        """Scores 0-100 per UIN for ``rid``'s biometric ``records`` (``BiometricView``s) against the
        gallery (None: everyone). Raises ``pipeline.Held("abis_pending", ...)`` while the ABIS has
        not answered yet (the packet is resumed when it does)."""
        ...

    def insert(self, *, uin: str, rid: str, records: list[Any]) -> None:
        """Add ``uin``'s biometrics to the gallery (when its UIN is issued); idempotent by ``rid``."""
        ...


class ResidentChecks(Protocol):
    """Keyed hashes of a resident's date of birth for the public status page (never the date)."""

    def make(self, iso_date: str) -> tuple[str, str]:
        """(key id, hex keyed hash) of ``iso_date`` under the current data key."""
        ...

"""What goes into a packet and what comes out of the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.packet.meta import PacketMeta

FORMAT = "openreg-packet"
VERSION = 1


@dataclass(frozen=True)
class Document:
    """One captured document: its type code from master data, MIME type and bytes."""

    doc_type: str
    content_type: str
    data: bytes
    category: str = ""
    filename: str = ""


@dataclass(frozen=True)
class BiometricRecord:
    """One capture: the ISO/IEC 19794 (or other) record bytes plus what describes it.

    ``exception`` marks a finger or eye that could not be captured; such a record may have empty
    ``data`` (the exception photo is its own record with modality ``exception_photo``).
    """

    modality: str
    bio_subtype: str
    format: str
    quality: int
    device: dict[str, Any]
    data: bytes
    exception: bool = False
    captured_at: str = ""
    retries: int = 0


@dataclass(frozen=True)
class PacketContents:
    """A whole registration: ``meta["rid"]`` is the registration ID.

    ``meta`` is the dict written as ``meta.json``; the builder refuses one that does not fit
    :class:`~shared.packet.meta.PacketMeta` (``PacketMeta.as_written()`` makes one that does)."""

    demographics: dict[str, Any]
    meta: dict[str, Any]
    documents: list[Document] = field(default_factory=list)
    biometrics: list[BiometricRecord] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rid(self) -> str:
        return str(self.meta.get("rid", ""))


@dataclass(frozen=True)
class SealedPacket:
    """A sealed file on disk: what the upload agent registers with the server."""

    rid: str
    path: Path
    sha256: str
    size: int
    recipient_key_id: str


@dataclass(frozen=True)
class OpenedPacket:
    """A packet that decrypted, matched its manifest and verified under the machine key.

    ``meta`` is ``contents.meta`` parsed once into :class:`~shared.packet.meta.PacketMeta`; the dict
    stays as written (unknown keys included) for inspection. ``document_sha256`` and
    ``biometric_sha256`` are the SHA-256 (hex) of each document's and biometric record's data, in the
    order of ``contents``, computed as the entries were read and equal to the signed manifest's: a
    consumer storing the payloads need not hash them again."""

    contents: PacketContents
    manifest: dict[str, Any]
    machine_key_id: str
    meta: PacketMeta
    document_sha256: tuple[str, ...]
    biometric_sha256: tuple[str, ...]


MAX_PACKET_BYTES = 256 * 1024 * 1024  # the inner container; the one packet size limit of the system
_AGE_OVERHEAD = 1.01  # age adds 16 bytes per 64 KiB chunk plus a short header


def sealed_size_limit(max_packet_bytes: int) -> int:
    """Largest sealed (age) file that can hold a container of ``max_packet_bytes``."""
    return int(max_packet_bytes * _AGE_OVERHEAD) + 4096


# What the server accepts at registration: the reader would refuse anything larger anyway.
MAX_SEALED_PACKET_BYTES = sealed_size_limit(MAX_PACKET_BYTES)


@dataclass(frozen=True)
class Limits:
    """Reader limits; defaults fit a registration with room to spare."""

    max_packet_bytes: int = MAX_PACKET_BYTES
    max_entry_bytes: int = 64 * 1024 * 1024
    max_entries: int = 1000
    max_ratio: int = 100  # uncompressed / compressed, for entries that are compressed
    max_json_bytes: int = 8 * 1024 * 1024

"""What processing needs from an opened packet, independent of the packet library's classes.

``from_opened`` adapts ``shared.packet``'s ``OpenedPacket`` (contract: demographics, documents,
biometric records, exceptions, meta) so the stages can be tested and reasoned about on their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # shared.packet (and pyrage) load only when the first packet is opened
    from shared.packet.meta import PacketMeta
    from shared.packet.model import OpenedPacket


@dataclass(frozen=True)
class DocumentView:
    category: str  # document category (POI, POA...), matched to the ID schema's document fields
    type: str  # document type id from master data
    name: str  # file name as captured
    content_type: str
    data: bytes
    sha256: str = ""  # of ``data``, as the packet reader computed it ("" if not known)


@dataclass(frozen=True)
class BiometricView:
    modality: str  # finger | iris | face
    subtype: str  # e.g. "Left Thumb"
    format: str
    quality: int
    data: bytes
    exception: bool = False
    sha256: str = ""  # of ``data``, as the packet reader computed it ("" if not known)


@dataclass(frozen=True)
class PacketView:
    demographics: dict[str, Any]
    documents: list[DocumentView]
    biometrics: list[BiometricView]
    exceptions: list[dict[str, Any]]
    meta: PacketMeta
    audit: list[dict[str, Any]] = field(default_factory=list)

    def meta_time(self) -> dt.datetime:
        """The capture time from meta (``PacketMeta.captured_at``); ValueError if meta has none."""
        at = self.meta.captured_at()
        if at is None:
            raise ValueError("meta has no started_at, signed_off_at or sealed_at")
        return at


def from_opened(opened: OpenedPacket) -> PacketView:
    """Adapt ``shared.packet``'s ``OpenedPacket`` (its meta already parsed) to a ``PacketView``. A
    payload the reader spooled (a big packet) stays there: the view reads it when asked."""
    from shared.packet.spool import lazy, payload_of

    def view(cls: type, record: Any, **fields: Any) -> Any:
        payload = payload_of(record)
        return lazy(cls)(payload, **fields) if payload is not None else cls(data=record.data, **fields)

    contents = opened.contents
    documents = [
        view(
            DocumentView,
            d,
            category=d.category,
            type=d.doc_type,
            name=d.filename,
            content_type=d.content_type,
            sha256=digest,
        )
        for d, digest in zip(contents.documents, opened.document_sha256, strict=True)
    ]
    biometrics = [
        view(
            BiometricView,
            b,
            modality=b.modality,
            subtype=b.bio_subtype,
            format=b.format,
            quality=b.quality,
            exception=b.exception,
            sha256=digest,
        )
        for b, digest in zip(contents.biometrics, opened.biometric_sha256, strict=True)
    ]
    return PacketView(
        demographics=dict(contents.demographics),
        documents=documents,
        biometrics=biometrics,
        exceptions=list(contents.exceptions),
        meta=opened.meta,
        audit=list(contents.audit),
    )

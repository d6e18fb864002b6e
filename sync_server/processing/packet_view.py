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


@dataclass(frozen=True)
class DocumentView:
    category: str  # document category (POI, POA...), matched to the ID schema's document fields
    type: str  # document type id from master data
    name: str  # file name as captured
    content_type: str
    data: bytes


@dataclass(frozen=True)
class BiometricView:
    modality: str  # finger | iris | face
    subtype: str  # e.g. "Left Thumb"
    format: str
    quality: int
    data: bytes
    exception: bool = False


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


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def from_opened(opened: Any) -> PacketView:
    """Adapt an ``OpenedPacket`` (attribute or dict shaped) to a ``PacketView``."""
    contents = _get(opened, "contents", default=opened)
    documents = [
        DocumentView(
            category=str(_get(d, "category", default="")),
            type=str(_get(d, "doc_type", "type", default="")),
            name=str(_get(d, "filename", "name", default="")),
            content_type=str(_get(d, "content_type", default="application/octet-stream")),
            data=bytes(_get(d, "data", "content", default=b"")),
        )
        for d in _get(contents, "documents", default=[])
    ]
    biometrics = [
        BiometricView(
            modality=str(_get(b, "modality")),
            subtype=str(_get(b, "bio_subtype", "subtype", default="")),
            format=str(_get(b, "format", default="")),
            quality=int(_get(b, "quality", "quality_score", default=0) or 0),
            data=bytes(_get(b, "data", "record", "iso_record", default=b"") or b""),
            exception=bool(_get(b, "exception", default=False)),
        )
        for b in _get(contents, "biometrics", "biometric_records", default=[])
    ]
    return PacketView(
        demographics=dict(_get(contents, "demographics", default={})),
        documents=documents,
        biometrics=biometrics,
        exceptions=list(_get(contents, "exceptions", default=[])),
        meta=opened.meta,
        audit=list(_get(contents, "audit", default=[])),
    )

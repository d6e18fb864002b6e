"""What travels on a USB stick between a kiosk without network and the office (docs/sync-protocol.md,
"Packets and acknowledgements by USB"). Client and server both use these models.

On the stick, one folder per kiosk: ``<stick>/OpenReg/<machine id>/`` holding

- ``packets/<rid>.age``: sealed packets, exactly as sealed (already encrypted to the server);
- ``export.json``: the export manifest, signed by the machine key; written last, so a folder without
  it is an unfinished export (the next export on the kiosk repairs it);
- ``ack.age``: the server's acknowledgement, signed by the server signing key and encrypted to the
  machine key (statuses, UINs and master data are nothing for a finder of a lost stick to read);
- ``updates/``: a copy of the TUF update repository, when the server has a release to stage.

Every document is bounded (size, entry counts, string lengths) and strict (unknown fields refused);
names on the stick are derived from validated RIDs, never taken from the stick.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.packet.model import MAX_SEALED_PACKET_BYTES
from shared.sync.models import (
    CENTER_ID_PATTERN,
    MACHINE_ID_PATTERN,
    RID_PATTERN,
    SHA256_PATTERN,
    PacketStatus,
)

MEDIA_FOLDER = "OpenReg"  # on the stick's top level; one sub-folder per kiosk (its machine id)
PACKETS_DIR = "packets"
MANIFEST_NAME = "export.json"
ACK_NAME = "ack.age"
UPDATES_DIR = "updates"  # same name as the server's /updates: the TUF client reads it the same way
PACKET_SUFFIX = ".age"
PART_SUFFIX = ".part"  # a file being written: never read, removed by the next writer

EXPORT_FORMAT = "openreg-media-export/1"
ACK_FORMAT = "openreg-media-ack/1"

MAX_MANIFEST_BYTES = 8 << 20
MAX_ACK_BYTES = 256 << 20  # encrypted; master data of one center, with a snapshot for a new kiosk
MAX_EXPORT_PACKETS = 5000
MAX_REJECTIONS = 5000
MAX_AWAITING = 20_000  # packets delivered earlier whose outcome the kiosk still waits for
MAX_ACK_STATUSES = MAX_EXPORT_PACKETS + MAX_REJECTIONS + MAX_AWAITING
MAX_BUNDLE_PAGES = 200
MAX_SNAPSHOT_BYTES = 128 << 20  # gzip body, base64 in the acknowledgement

Rid = Annotated[str, Field(pattern=RID_PATTERN)]
Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN)]
ShortText = Annotated[str, Field(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ManifestPacket(_Strict):
    """One sealed packet in the export: the same facts a network upload registers."""

    rid: Rid
    sha256: Sha256
    size: int = Field(ge=1, le=MAX_SEALED_PACKET_BYTES)
    operator_id: ShortText | None = None
    supervisor_id: ShortText | None = None
    created_at: str | None = Field(default=None, max_length=64, pattern=r"^[0-9T:.+\-Z ]*$")


class ManifestRejection(_Strict):
    """A packet the supervisor rejected at the kiosk: the server records it, no content follows."""

    rid: Rid
    sha256: Sha256
    size: int = Field(ge=1, le=MAX_SEALED_PACKET_BYTES)
    reason: str = Field(default="", max_length=1000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")
    supervisor_id: ShortText | None = None


class ExportManifest(_Strict):
    """``export.json``'s payload, signed by the machine key over its canonical JSON."""

    format: Literal["openreg-media-export/1"] = EXPORT_FORMAT
    export_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    machine_id: str = Field(pattern=MACHINE_ID_PATTERN)
    center_id: str = Field(pattern=CENTER_ID_PATTERN)
    created_at: AwareDatetime
    software_version: str | None = Field(default=None, max_length=40, pattern=r"^[0-9A-Za-z.+-]*$")
    # where the kiosk's master data stands: the acknowledgement carries changes from here (None: a
    # snapshot first, the kiosk has no master data yet)
    masterdata_cursor: int | None = Field(default=None, ge=0, le=2**62)
    packets: list[ManifestPacket] = Field(default_factory=list, max_length=MAX_EXPORT_PACKETS)
    rejections: list[ManifestRejection] = Field(default_factory=list, max_length=MAX_REJECTIONS)
    awaiting: list[Rid] = Field(default_factory=list, max_length=MAX_AWAITING)

    @model_validator(mode="after")
    def _one_entry_per_rid(self) -> ExportManifest:
        rids = [p.rid for p in self.packets] + [r.rid for r in self.rejections]
        if len(set(rids)) != len(rids):
            raise ValueError("a RID is listed twice in the export")
        if set(rids) & set(self.awaiting):
            raise ValueError("a RID is both exported and awaiting an outcome")
        return self

    def rids(self) -> list[str]:
        """Every RID the kiosk asks about: exported, rejected, awaiting (in that order)."""
        return [p.rid for p in self.packets] + [r.rid for r in self.rejections] + list(self.awaiting)


class SignedDocument(_Strict):
    """A signed payload on the stick: ``signature`` (base64 Ed25519) over canonical_json(payload)."""

    payload: dict
    signature: str = Field(max_length=200)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")


class SignedSnapshot(_Strict):
    """A master-data snapshot signed as GET /masterdata/snapshot signs it (over the gzip bytes)."""

    body: str = Field(max_length=MAX_SNAPSHOT_BYTES * 4 // 3 + 4, pattern=r"^[A-Za-z0-9+/=]*$")
    signature: str = Field(max_length=200)


class MasterDataBundle(_Strict):
    """Master data for one kiosk: a snapshot when it had none, then change pages from ``since``, each
    signed exactly as GET /masterdata/changes signs it (shared.sync.SignedChangesPage)."""

    since: int | None = Field(default=None, ge=0, le=2**62)
    snapshot: SignedSnapshot | None = None
    # SignedChangesPage bodies kept as the server wrote them: each is verified over its own payload
    pages: list[dict] = Field(default_factory=list, max_length=MAX_BUNDLE_PAGES)


class AckRefusal(_Strict):
    """A packet of the export the server did not take, and why (the kiosk keeps it for the next export)."""

    rid: Rid
    reason: str = Field(max_length=500)


class AckUpdates(_Strict):
    """A copy of the update repository beside the acknowledgement; the kiosk verifies it with TUF."""

    folder: Literal["updates"] = UPDATES_DIR
    version: str = Field(max_length=40, pattern=r"^[0-9A-Za-z.+-]+$")


class AckPayload(_Strict):
    """``ack.age``'s payload, signed by the server signing key (then encrypted to the machine key)."""

    format: Literal["openreg-media-ack/1"] = ACK_FORMAT
    machine_id: str = Field(pattern=MACHINE_ID_PATTERN)
    center_id: str = Field(pattern=CENTER_ID_PATTERN)
    export_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    created_at: AwareDatetime
    received: list[Rid] = Field(default_factory=list, max_length=MAX_EXPORT_PACKETS)
    refused: list[AckRefusal] = Field(default_factory=list, max_length=MAX_EXPORT_PACKETS)
    statuses: list[PacketStatus] = Field(default_factory=list, max_length=MAX_ACK_STATUSES)
    masterdata: MasterDataBundle = Field(default_factory=MasterDataBundle)
    updates: AckUpdates | None = None

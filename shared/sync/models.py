"""Pydantic wire models of the sync protocol (docs/sync-protocol.md). Client and server both use these.

Conventions: every error is an :class:`ErrorBody` ({"code", "detail", "errors"}); keys are base64 raw
Ed25519 (shared.signing); hashes are lowercase hex SHA-256; times are ISO 8601 UTC.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX = "/api/v1"
UPLOAD_OFFSET_HEADER = "Upload-Offset"
UPLOAD_LENGTH_HEADER = "Upload-Length"
UPLOAD_CONTENT_TYPE = "application/offset+octet-stream"
# tus 1.0.0 (docs/sync-protocol.md, "Resumable upload"): creation at API_PREFIX + TUS_UPLOADS_ROUTE, the
# upload resource of a packet is API_PREFIX + "/packets/{rid}/content" (the same URL the first kiosks use).
TUS_VERSION = "1.0.0"
TUS_RESUMABLE_HEADER = "Tus-Resumable"
TUS_UPLOADS_ROUTE = "/packets/uploads"
TUS_EXTENSIONS = ("creation", "creation-with-upload", "checksum", "termination", "expiration")
TUS_CHECKSUM_ALGORITHMS = ("sha256", "sha1")  # sha1: the spec's required minimum; sha256 preferred
UPLOAD_METADATA_HEADER = "Upload-Metadata"
UPLOAD_CHECKSUM_HEADER = "Upload-Checksum"
UPLOAD_EXPIRES_HEADER = "Upload-Expires"
MAX_UPLOAD_METADATA_BYTES = 2048  # the whole Upload-Metadata header
SIGNATURE_HEADER = "X-Signature"  # snapshot: base64 Ed25519 signature over the exact (gzip) body bytes
KEY_ID_HEADER = "X-Key-Id"

RID_PATTERN = r"^[0-9]{29}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
CENTER_ID_PATTERN = r"^[0-9]{5}$"
MACHINE_ID_PATTERN = r"^[0-9]{5}$"
# Free text that reaches the database: no control characters (PostgreSQL cannot store NUL at all).
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f]+$"
BASE64_PATTERN = r"^[A-Za-z0-9+/_=-]+$"  # standard or URL-safe alphabet


# A kiosk clock may run this far ahead of the server; a capture time later than that is refused.
MAX_CAPTURE_CLOCK_SKEW = dt.timedelta(hours=24)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorCode(StrEnum):
    """Machine-readable error codes (the HTTP status says the class, the code says which case)."""

    validation_error = "validation_error"
    malformed_json = "malformed_json"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    body_too_large = "body_too_large"
    unauthenticated = "unauthenticated"
    token_invalid = "token_invalid"
    token_expired = "token_expired"
    token_replayed = "token_replayed"
    challenge_invalid = "challenge_invalid"
    signature_invalid = "signature_invalid"
    bad_credentials = "bad_credentials"
    forbidden = "forbidden"
    machine_unknown = "machine_unknown"
    machine_pending = "machine_pending"
    machine_rejected = "machine_rejected"
    machine_revoked = "machine_revoked"
    center_unknown = "center_unknown"
    key_conflict = "key_conflict"
    rid_not_yours = "rid_not_yours"
    packet_conflict = "packet_conflict"
    packet_unknown = "packet_unknown"
    offset_mismatch = "offset_mismatch"
    size_exceeded = "size_exceeded"
    chunk_too_large = "chunk_too_large"
    hash_mismatch = "hash_mismatch"
    upload_complete = "upload_complete"
    masterdata_invalid = "masterdata_invalid"
    backend_unavailable = "backend_unavailable"
    internal_error = "internal_error"
    account_locked = "account_locked"
    rate_limited = "rate_limited"
    enrolment_limit = "enrolment_limit"
    headers_too_large = "headers_too_large"
    disk_full = "disk_full"

    packet_too_large = "packet_too_large"  # registered size over shared.packet.MAX_SEALED_PACKET_BYTES
    capture_in_future = "capture_in_future"  # capture time beyond MAX_CAPTURE_CLOCK_SKEW ahead of the server
    packet_damaged = "packet_damaged"  # the kiosk reported its sealed file damaged; no content is accepted
    # tus 1.0.0 uploads
    tus_version_unsupported = "tus_version_unsupported"  # 412: Tus-Resumable other than TUS_VERSION
    unsupported_media_type = "unsupported_media_type"  # 415: content not application/offset+octet-stream
    checksum_invalid = "checksum_invalid"  # 400: Upload-Checksum malformed or of an unsupported algorithm
    checksum_mismatch = "checksum_mismatch"  # 460: the chunk does not match its Upload-Checksum
    upload_expired = "upload_expired"  # 404: an unfinished upload passed its Upload-Expires and was dropped


class FieldError(_Wire):
    """One validation problem: where (file/row/field or JSON location) and what."""

    loc: list[str | int] = Field(default_factory=list)
    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None


class ErrorBody(_Wire):
    code: ErrorCode
    detail: str
    errors: list[FieldError] = Field(default_factory=list)
    current_offset: int | None = None  # set on offset_mismatch (409)


class HealthResponse(_Wire):
    status: Literal["ok"] = "ok"
    version: str
    signing_key: str
    packet_recipients: list[str]


# -- enrolment --------------------------------------------------------------------------------------
class MachineStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    revoked = "revoked"


class EnrolRequest(_Wire):
    public_key: str = Field(
        min_length=40, max_length=60, pattern=BASE64_PATTERN, description="base64 raw Ed25519 public key"
    )
    center_id: str = Field(pattern=CENTER_ID_PATTERN)
    name: str = Field(min_length=1, max_length=100, pattern=PRINTABLE_PATTERN)


class EnrolResponse(_Wire):
    """Idempotent for the same key. Keys to pin are present whenever status is approved."""

    machine_id: str = Field(description="5-digit machine id, part of every RID from this machine")
    center_id: str
    name: str
    status: MachineStatus
    server_signing_key: str | None = None
    packet_recipients: list[str] = Field(default_factory=list, description="age X25519 recipients")
    recipient_key_id: str | None = None


class MachinePublic(_Wire):
    machine_id: str
    center_id: str
    name: str
    public_key: str
    status: MachineStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    last_masterdata_sync_at: dt.datetime | None = Field(
        default=None, description="when the machine last caught up with master data (complete changes page)"
    )


# -- auth ---------------------------------------------------------------------------------------------
class ChallengeRequest(_Wire):
    machine_id: str = Field(pattern=r"^[0-9]{5}$")


class ChallengeResponse(_Wire):
    """Sign ``challenge.encode()`` with the machine key; single use; expires at ``expires_at``."""

    challenge: str
    expires_at: dt.datetime


class MachineTokenRequest(_Wire):
    machine_id: str = Field(pattern=r"^[0-9]{5}$")
    challenge: str = Field(min_length=1, max_length=200, pattern=BASE64_PATTERN)
    signature: str = Field(
        min_length=1, max_length=200, pattern=BASE64_PATTERN, description="base64 Ed25519 over challenge"
    )


# Kiosks name their software in User-Agent (``OpenReg-kiosk/<version>``); the server keeps the version
# it saw at a machine's last master-data sync (the console's machines page shows it).
KIOSK_AGENT = "OpenReg-kiosk"
KIOSK_AGENT_PATTERN = r"^OpenReg-kiosk/([0-9A-Za-z][0-9A-Za-z.+-]{0,39})$"


class LoginRequest(_Wire):
    username: str = Field(min_length=1, max_length=100, pattern=PRINTABLE_PATTERN)
    password: str = Field(min_length=1, max_length=500)
    # Required once the user enrolled a second factor in the web console (head-office roles).
    totp_code: str | None = Field(default=None, min_length=6, max_length=7, pattern=r"^[0-9]{3} ?[0-9]{3}$")


class TokenResponse(_Wire):
    """Send as ``Authorization: Bearer <token>``; a token is refused after ``expires_at``."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    subject: str
    roles: list[str]


class UserPublic(_Wire):
    id: str
    name: str
    roles: list[str]
    center_id: str | None = None
    active: bool = True


# -- master data ----------------------------------------------------------------------------------------
class MasterDataChange(_Wire):
    seq: int
    entity: str
    id: str
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = None


class ChangesPage(_Wire):
    """Changes with ``seq > since`` in seq order, for the machine's scope. ``next_cursor`` is the seq
    to pass as ``since`` next; ``complete`` is true when nothing newer existed at answer time."""

    changes: list[MasterDataChange]
    next_cursor: int
    complete: bool


class SignedChangesPage(_Wire):
    """Body of GET /masterdata/changes: ``signature`` is over canonical_json(payload)."""

    payload: ChangesPage
    signature: str
    key_id: str


class Snapshot(_Wire):
    """The JSON inside the gzip body of GET /masterdata/snapshot (signature in the X-Signature header
    over the exact gzip bytes). Continue with deltas ``since=cursor``."""

    format: Literal["openreg-snapshot/1"] = "openreg-snapshot/1"
    cursor: int
    center_id: str | None = None
    entities: dict[str, list[dict[str, Any]]]


class ImportResult(_Wire):
    applied: int
    upserts: int
    deletes: int
    first_seq: int | None
    last_seq: int | None


# -- packets ------------------------------------------------------------------------------------------
class PacketState(StrEnum):
    registered = "registered"
    receiving = "receiving"
    received = "received"
    processing = "processing"
    processed = "processed"
    rejected = "rejected"
    unknown = "unknown"
    damaged = "damaged"  # the kiosk found its sealed file damaged and quarantined it; final


class PacketRegisterRequest(BaseModel):
    """Idempotent by (RID, sha256). Same RID with another hash/size is 409 packet_conflict."""

    model_config = ConfigDict(extra="ignore")

    rid: str = Field(pattern=RID_PATTERN)
    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=1, description="sealed bytes; over MAX_SEALED_PACKET_BYTES is 413 packet_too_large")
    operator_id: str | None = Field(default=None, max_length=100)
    supervisor_id: str | None = Field(default=None, max_length=100)
    created_at: str | None = Field(default=None, max_length=64)
    supervisor_rejected: bool = Field(default=False, description="rejected at the kiosk: no content follows")
    reason: str | None = Field(default=None, max_length=1000)


class PacketRegisterResponse(_Wire):
    rid: str
    status: PacketState
    offset: int = Field(description="bytes already held; resume the upload here")
    size: int
    max_chunk_bytes: int


class PacketDamagedReport(_Wire):
    """Body of POST /packets/{rid}/damaged: the kiosk's sealed file no longer matches the hash and size
    recorded when it was sealed (or is gone), so it will never be uploaded."""

    sha256: str = Field(pattern=SHA256_PATTERN, description="recorded at sealing")
    size: int = Field(ge=1, description="recorded at sealing")
    problem: Literal["hash_mismatch", "truncated", "missing", "unreadable"]
    detail: str = Field(default="", max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")


class PacketPublic(_Wire):
    """A packet as admins list it (GET /admin/packets)."""

    rid: str
    machine_id: str
    center_id: str
    status: PacketState
    size: int
    reason_code: str | None = None
    reason: str | None = None
    registered_at: dt.datetime
    received_at: dt.datetime | None = None


class StatusRequest(_Wire):
    # Ids that are not RIDs answer "unknown"; only the shape is bounded (PostgreSQL cannot store a NUL).
    rids: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]] = Field(
        min_length=1, max_length=1000
    )


class PacketStatus(BaseModel):
    """One packet's state. When rejected (or processing is waiting on a failed stage), ``reason_code``
    is the stable machine-readable cause (``tampered``, ``unknown_machine``, ``missing_document``,
    ``duplicate``, ``supervisor_rejected``, ... see docs/sync-protocol.md) and ``reason`` the text for
    people. Unknown fields are ignored, so a server may add fields without breaking older kiosks."""

    model_config = ConfigDict(extra="ignore")

    rid: str
    status: PacketState
    uin: str | None = None
    reason_code: str | None = Field(default=None, max_length=64)
    reason: str | None = None
    offset: int | None = None


class StatusResponse(_Wire):
    statuses: list[PacketStatus]


# -- server keys (packet recipients, rotation) --------------------------------------------------------
SERVER_KEYS_FORMAT = "openreg-server-keys/1"
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
AgeRecipient = Annotated[str, Field(pattern=r"^age1[0-9a-z]{50,70}$")]


class ServerKeySet(_Wire):
    """What the server signs (with its signing key, over ``canonical_json``) to tell kiosks which age
    recipients to seal packets to and where it lives. ``issued_at`` changes only when the packet key is
    rotated (kiosks refuse an older set: no rollback); ``nonce`` echoes the kiosk's request, so a set is
    proof that the server answering right now holds the signing key (no replay). ``format`` keeps this
    message apart from every other thing the same key signs."""

    format: Literal["openreg-server-keys/1"] = SERVER_KEYS_FORMAT
    signing_key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    packet_recipients: list[AgeRecipient] = Field(min_length=1, max_length=8)
    recipient_key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    server_url: str | None = Field(default=None, max_length=500, description="public URL, if configured")
    issued_at: dt.datetime
    nonce: str = Field(pattern=NONCE_PATTERN)


class SignedServerKeySet(_Wire):
    """Body of GET /api/v1/keys?nonce=...: ``signature`` is over canonical_json(payload)."""

    payload: ServerKeySet
    signature: str = Field(max_length=200)
    key_id: str

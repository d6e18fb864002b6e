"""ID store tables: UIN registry, identities (versioned), encrypted blobs and the read audit."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Every UIN ever issued stays here (never deleted), so a number can never be handed out twice;
# the unique RID column makes issuing idempotent per packet.
uins = Table(
    "idstore_uins",
    metadata,
    Column("uin", String(32), primary_key=True),
    Column("rid", String(64), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

# No demographic value in clear: the demographics are AES-GCM ciphertext under the data key
# ``key_id``; dedupe_key and blocking_key are keyed hashes under the same key (see store.py).
identities = Table(
    "idstore_identities",
    metadata,
    Column("uin", String(32), ForeignKey("idstore_uins.uin"), primary_key=True),
    Column("rid", String(64), nullable=False, unique=True),
    Column("version", Integer, nullable=False, default=1),
    Column("key_id", String(32), nullable=False),
    Column("demographics_ciphertext", LargeBinary, nullable=False),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("blocking_key", String(64), index=True),
    Column("center_id", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # active | deactivated | revoked (an admin action with a reason, audited); only active
    # identities are updated or found by the lost flow.
    Column("status", String(16), nullable=False, default="active", server_default="active"),
    Column("status_reason", Text),
)

# Every version of every identity: version 1 from the registration, one more per update (or per
# merge an adjudicator decides). ``identities`` holds the current one; these rows are its history.
identity_versions = Table(
    "idstore_identity_versions",
    metadata,
    Column("uin", String(32), ForeignKey("idstore_uins.uin"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("rid", String(64), nullable=False, unique=True),  # the packet that made it
    Column("flow", String(16), nullable=False),
    Column("changed_fields", JSON, nullable=False, default=list),
    Column("key_id", String(32), nullable=False),
    Column("demographics_ciphertext", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

blobs = Table(
    "idstore_blobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uin", String(32), ForeignKey("idstore_identities.uin"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # document | biometric
    Column("name", String(255), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("attributes", JSON, nullable=False, default=dict),  # modality, subtype, quality, ...
    Column("sha256", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    UniqueConstraint("uin", "kind", "name", name="uq_idstore_blob_name"),
)

reads = Table(
    "idstore_reads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uin", String(32), nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

"""Initial schema: machines, auth, master-data log + current rows, packets; plus the processing,
ID store and reports tables as those packages declared them at this revision.

The backend tables are spelled out here (frozen), not created from the packages' live MetaData:
a later revision that changes one of them must find the shape this revision made, on a fresh
database as on an old one.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "machines",
        sa.Column("machine_id", sa.String(5), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False, unique=True),
        sa.Column("center_id", sa.String(5), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decided_at", _TS),
    )
    op.create_table(
        "auth_challenges",
        sa.Column("challenge", sa.String(64), primary_key=True),
        sa.Column("machine_id", sa.String(5), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("center_id", sa.String(5)),
        sa.Column("expires_at", _TS, nullable=False, index=True),
    )
    op.create_table(
        "masterdata_changes",
        sa.Column("seq", _BIG, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("center_id", sa.String(5)),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_masterdata_changes_center_seq", "masterdata_changes", ["center_id", "seq"])
    op.create_table(
        "masterdata_current",
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("entity_id", sa.String(200), primary_key=True),
        sa.Column("center_id", sa.String(5)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "packets",
        sa.Column("rid", sa.String(29), primary_key=True),
        sa.Column("machine_id", sa.String(5), nullable=False, index=True),
        sa.Column("center_id", sa.String(5), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("operator_id", sa.String(100)),
        sa.Column("supervisor_id", sa.String(100)),
        sa.Column("client_created_at", sa.String(64)),
        sa.Column("uin", sa.String(32)),
        sa.Column("reason", sa.Text),
        sa.Column("registered_at", _TS, nullable=False),
        sa.Column("received_at", _TS),
    )
    _create_processing_tables()
    _create_idstore_tables()
    _create_report_tables()


def downgrade() -> None:
    for table in _BACKEND_TABLES:
        op.drop_table(table)
    for table in ("packets", "masterdata_current", "masterdata_changes", "auth_tokens", "auth_challenges"):
        op.drop_table(table)
    op.drop_table("machines")


# Dropped in this order (children before parents).
_BACKEND_TABLES = (
    "report_artifacts",
    "report_runs",
    "report_definitions",
    "idstore_blobs",
    "idstore_identities",
    "idstore_uins",
    "idstore_reads",
    "processing_stage_records",
    "processing_jobs",
)


def _create_processing_tables() -> None:
    op.create_table(
        "processing_jobs",
        sa.Column("rid", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("stage", sa.String(32)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("lease_until", _TS),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("reason_text", sa.Text),
        sa.Column("uin", sa.String(32)),
        sa.Column("center_id", sa.String(16)),
        sa.Column("machine_id", sa.String(16)),
        sa.Column("operator_id", sa.String(64)),
        sa.Column("enqueued_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("info", sa.JSON, nullable=False),
    )
    op.create_index("ix_processing_jobs_due", "processing_jobs", ["status", "next_attempt_at"])
    op.create_table(
        "processing_stage_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rid", sa.String(64), nullable=False, index=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def _create_idstore_tables() -> None:
    op.create_table(
        "idstore_reads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uin", sa.String(32), nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("read_at", _TS, nullable=False),
    )
    op.create_table(
        "idstore_uins",
        sa.Column("uin", sa.String(32), primary_key=True),
        sa.Column("rid", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_at", _TS, nullable=False),
    )
    op.create_table(
        "idstore_identities",
        sa.Column("uin", sa.String(32), sa.ForeignKey("idstore_uins.uin"), primary_key=True),
        sa.Column("rid", sa.String(64), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("demographics", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column("center_id", sa.String(16)),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "idstore_blobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uin", sa.String(32), sa.ForeignKey("idstore_identities.uin"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("uin", "kind", "name", name="uq_idstore_blob_name"),
    )


def _create_report_tables() -> None:
    op.create_table(
        "report_definitions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("function", sa.String(64), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("cron", sa.String(128)),
        sa.Column("formats", sa.JSON, nullable=False),
        sa.Column("delivery", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "definition_id", sa.String(64), sa.ForeignKey("report_definitions.id"), nullable=False, index=True
        ),
        sa.Column("run_key", sa.String(160), nullable=False, unique=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("instance", sa.String(128), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("row_count", sa.Integer),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "report_artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("report_runs.id"), nullable=False, index=True),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("delivered", sa.JSON, nullable=False),
    )

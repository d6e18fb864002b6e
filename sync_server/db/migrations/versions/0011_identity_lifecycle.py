"""Identity lifecycle: the flow of each queued packet and the resident's status check; identity
status (active / deactivated / revoked) and the version history; adjudication cases and the
corrections that answer a request for more information; the resident notification outbox; the
queue of requests to the ABIS.

Identities from before keep their current row; their version history starts with the first update
(which records the version it replaces first).

Revision ID: 0011_identity_lifecycle
Revises: 0010_reports_portal
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_identity_lifecycle"
down_revision = "0010_reports_portal"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("processing_jobs") as batch:
        batch.add_column(sa.Column("flow", sa.String(16)))
        batch.add_column(sa.Column("resident_check", sa.String(64)))
        batch.add_column(sa.Column("resident_key_id", sa.String(32)))
        batch.add_column(sa.Column("resident_language", sa.String(16)))
    with op.batch_alter_table("idstore_identities") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="active"))
        batch.add_column(sa.Column("status_reason", sa.Text))
    op.create_table(
        "idstore_identity_versions",
        sa.Column("uin", sa.String(32), sa.ForeignKey("idstore_uins.uin"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("rid", sa.String(64), nullable=False, unique=True),
        sa.Column("flow", sa.String(16), nullable=False),
        sa.Column("changed_fields", sa.JSON, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("demographics_ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "processing_adjudications",
        sa.Column("rid", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decision", sa.String(16)),
        sa.Column("uin", sa.String(32)),
        sa.Column("reason", sa.Text),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", _TS),
    )
    op.create_table(
        "processing_corrections",
        sa.Column("held_rid", sa.String(64), primary_key=True),
        sa.Column("answer_rid", sa.String(64), primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rid", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("last_error", sa.String(500)),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS),
        sa.UniqueConstraint("rid", "event", "channel", name="uq_notification_outbox_rid_event_channel"),
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "abis_requests",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reference_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("lease_until", _TS),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("answered_at", _TS),
        sa.Column("gallery", sa.JSON),
        sa.Column("max_results", sa.Integer),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("response", sa.JSON),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_abis_requests_open", "abis_requests", ["status", "seq"])


def downgrade() -> None:
    op.drop_index("ix_abis_requests_open", table_name="abis_requests")
    op.drop_table("abis_requests")
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_table("processing_corrections")
    op.drop_table("processing_adjudications")
    op.drop_table("idstore_identity_versions")
    with op.batch_alter_table("idstore_identities") as batch:
        batch.drop_column("status_reason")
        batch.drop_column("status")
    with op.batch_alter_table("processing_jobs") as batch:
        for column in ("resident_language", "resident_key_id", "resident_check", "flow"):
            batch.drop_column(column)

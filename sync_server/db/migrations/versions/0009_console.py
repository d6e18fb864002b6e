"""Web console: sign-in sessions and console accounts (TOTP secret, temporary-password flag), and
the indexes its packet search pages on (newest first, overall and per center), and the kiosk software
version seen at each machine's last master-data sync.

Revision ID: 0009_console
Revises: 0008_audit_idstore_encryption
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_console"
down_revision = "0008_audit_idstore_encryption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_console_sessions_username", "console_sessions", ["username"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "console_accounts",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("pending_totp_secret", sa.String(64)),
        sa.Column("totp_last_step", sa.BigInteger()),
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("machines", sa.Column("software_version", sa.String(40)))
    op.create_index("ix_packets_registered", "packets", ["registered_at", "rid"])
    op.create_index("ix_packets_center_registered", "packets", ["center_id", "registered_at"])


def downgrade() -> None:
    op.drop_column("machines", "software_version")
    op.drop_index("ix_packets_center_registered", "packets")
    op.drop_index("ix_packets_registered", "packets")
    op.drop_table("console_accounts")
    op.drop_index("ix_console_sessions_expires_at", "console_sessions")
    op.drop_index("ix_console_sessions_username", "console_sessions")
    op.drop_table("console_sessions")

"""Abuse limits: per-account login lockout (``login_attempts``) and the address an enrolment came from
(``machines.enrol_address``, for the pending-enrolment cap per address).

Revision ID: 0007_abuse_limits
Revises: 0005_masterdata_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_abuse_limits"
down_revision = "0005_masterdata_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("machines") as batch:
        batch.add_column(sa.Column("enrol_address", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("machines") as batch:
        batch.drop_column("enrol_address")
    op.drop_table("login_attempts")

"""Master-data problems reported by kiosks (a change they could not apply and skipped).

Revision ID: 0005_masterdata_reports
Revises: 0003_packet_reason_code
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_masterdata_reports"
down_revision = "0003_packet_reason_code"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "masterdata_problems",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("machine_id", sa.String(5), nullable=False, index=True),
        sa.Column("center_id", sa.String(5)),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.Column("received_at", _TS, nullable=False, index=True),
        sa.UniqueConstraint("machine_id", "seq", "entity", "entity_id", name="uq_masterdata_problems_change"),
    )


def downgrade() -> None:
    op.drop_table("masterdata_problems")

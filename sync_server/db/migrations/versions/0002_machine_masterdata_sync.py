"""Record when each machine last finished a master-data sync (for the kiosk sync-lag report).

Revision ID: 0002_machine_masterdata_sync
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_machine_masterdata_sync"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a column in place (downgrade), and batch keeps both dialects on one path.
    with op.batch_alter_table("machines") as batch:
        batch.add_column(sa.Column("last_masterdata_sync_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("machines") as batch:
        batch.drop_column("last_masterdata_sync_at")

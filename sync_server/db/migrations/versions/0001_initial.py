"""Initial schema: machines, auth, master-data log + current rows, packets; plus the processing,
ID store and reports tables declared by those packages (created from their own MetaData).

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


def _package_metadatas() -> list[sa.MetaData]:
    from sync_server.idstore.tables import metadata as idstore
    from sync_server.processing.tables import metadata as processing
    from sync_server.reports.tables import metadata as reports

    return [processing, idstore, reports]


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
    for metadata in _package_metadatas():
        metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    for metadata in reversed(_package_metadatas()):
        metadata.drop_all(bind=op.get_bind())
    for table in ("packets", "masterdata_current", "masterdata_changes", "auth_tokens", "auth_challenges"):
        op.drop_table(table)
    op.drop_table("machines")

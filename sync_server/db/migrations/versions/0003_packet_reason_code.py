"""A machine-readable reason code beside the human reason of a packet (status endpoint).

Revision ID: 0003_packet_reason_code
Revises: 0002_machine_masterdata_sync

Rows written before this revision carry ``"<code>: <text>"`` in ``reason``; they are split here so
old and new rows read the same way.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_packet_reason_code"
down_revision = "0002_machine_masterdata_sync"
branch_labels = None
depends_on = None

_packets = sa.table(
    "packets", sa.column("rid", sa.String), sa.column("reason", sa.Text), sa.column("reason_code", sa.String)
)
_jobs = sa.table(
    "processing_jobs",
    sa.column("rid", sa.String),
    sa.column("reason_code", sa.String),
    sa.column("reason_text", sa.Text),
)
_KIOSK_REJECTED = "rejected by the supervisor at the kiosk"


def upgrade() -> None:
    with op.batch_alter_table("packets") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(64), nullable=True))
    bind = op.get_bind()
    # Processing outcomes: take code and text from the queue row the mirror was written from.
    jobs = bind.execute(
        sa.select(_jobs.c.rid, _jobs.c.reason_code, _jobs.c.reason_text).where(
            _jobs.c.reason_code.is_not(None)
        )
    ).all()
    for rid, code, text in jobs:
        bind.execute(sa.update(_packets).where(_packets.c.rid == rid).values(reason_code=code, reason=text))
    bind.execute(
        sa.update(_packets)
        .where(_packets.c.reason.like(f"{_KIOSK_REJECTED}%"), _packets.c.reason_code.is_(None))
        .values(reason_code="supervisor_rejected")
    )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_packets.c.rid, _packets.c.reason_code, _packets.c.reason).where(
            _packets.c.reason_code.is_not(None), _packets.c.reason_code != "supervisor_rejected"
        )
    ).all()
    for rid, code, text in rows:
        bind.execute(sa.update(_packets).where(_packets.c.rid == rid).values(reason=f"{code}: {text}"))
    with op.batch_alter_table("packets") as batch:
        batch.drop_column("reason_code")

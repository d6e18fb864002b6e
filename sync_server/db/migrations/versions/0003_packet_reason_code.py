"""A machine-readable reason code beside the human reason of a packet (status endpoint).

Revision ID: 0003_packet_reason_code
Revises: 0002_machine_masterdata_sync

Rows written before this revision carry ``"<code>: <text>"`` in ``reason``. Upgrade fills the new
column for two kinds of them only:

* packets whose ``processing_jobs`` row has a ``reason_code`` (processing outcomes): ``reason_code``
  and ``reason`` are replaced by the queue row's ``reason_code`` and ``reason_text``, so they read
  like rows written after this revision (a NULL ``reason_text`` leaves ``reason`` NULL);
* packets rejected at the kiosk (``reason`` starting with "rejected by the supervisor at the kiosk"):
  ``reason_code`` becomes ``supervisor_rejected`` and ``reason`` is kept whole, as new rows write it.

Any other combined reason (a packet without a queue row, or whose queue row has no code) is left as
it was, with ``reason_code`` NULL. Downgrade joins code and text back into ``reason``
(``"<code>: <text>"``, or just ``"<code>"`` when the text is NULL), except for kiosk rejections, whose
``reason`` is already the old text.
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
    # Processing outcomes: take code and text from the queue row the mirror was written from, in one
    # correlated UPDATE (SQLite and PostgreSQL alike), not a round trip per packet.
    job_of_packet = _jobs.c.rid == _packets.c.rid
    bind.execute(
        sa.update(_packets)
        .where(_packets.c.rid.in_(sa.select(_jobs.c.rid).where(_jobs.c.reason_code.is_not(None))))
        .values(
            reason_code=sa.select(_jobs.c.reason_code).where(job_of_packet).scalar_subquery(),
            reason=sa.select(_jobs.c.reason_text).where(job_of_packet).scalar_subquery(),
        )
    )
    bind.execute(
        sa.update(_packets)
        .where(_packets.c.reason.like(f"{_KIOSK_REJECTED}%"), _packets.c.reason_code.is_(None))
        .values(reason_code="supervisor_rejected")
    )


def downgrade() -> None:
    bind = op.get_bind()
    code = _packets.c.reason_code
    bind.execute(
        sa.update(_packets)
        .where(code.is_not(None), code != "supervisor_rejected")
        .values(
            reason=sa.case(
                (_packets.c.reason.is_(None), code),
                else_=code + ": " + _packets.c.reason,
            )
        )
    )
    with op.batch_alter_table("packets") as batch:
        batch.drop_column("reason_code")

"""Server admin audit log; ID store demographics encrypted, lookups by keyed hash.

Revision ID: 0008_audit_idstore_encryption
Revises: 0007_abuse_limits

* ``server_audit_log`` + ``server_audit_head`` (one row: seq 0, the genesis hash), see
  ``sync_server.services.audit``.
* ``idstore_identities``: the plaintext ``demographics`` JSON becomes ``demographics_ciphertext``
  (AES-GCM under the current data key, ``key_id``); ``dedupe_key`` (SHA-256 of the normalised parts)
  becomes its keyed hash; the new ``blocking_key`` is the keyed hash of the normalised date of birth
  (default dedupe config's ``dateOfBirth``; NULL when a row has none). ``sync_server.idstore.sealing``
  is the rule, shared with the running code on purpose: rows written either way must read alike.

Existing rows need the data key, so the server's data dir must be passed (``migrate(engine,
data_dir=...)``, which the server and ``openreg admin`` do); an empty ID store needs none. Downgrade
decrypts the rows back and recomputes the plain dedupe key from the demographics.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_idstore_encryption"
down_revision = "0007_abuse_limits"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64
_BATCH = 500

_identities = sa.table(
    "idstore_identities",
    sa.column("uin", sa.String),
    sa.column("demographics", sa.JSON),
    sa.column("dedupe_key", sa.String),
    sa.column("key_id", sa.String),
    sa.column("demographics_ciphertext", sa.LargeBinary),
    sa.column("blocking_key", sa.String),
)


_blobs = sa.table("idstore_blobs", sa.column("key_id", sa.String))


def _keyring():
    from sync_server.db.migrate import SchemaError
    from sync_server.idstore.data_key import DataKeyring

    data_dir = op.get_context().config.attributes.get("data_dir") if op.get_context().config else None
    if data_dir is None:
        raise SchemaError(
            "revision 0008 re-encrypts ID store rows and needs the server data dir (its data key); "
            "run the server or `openreg admin` with --data"
        )
    keyring = DataKeyring(data_dir)
    # A wrong --data must not make a fresh key and re-encrypt every identity under it (the real server
    # could then read none of them): the keys the stored blobs were written with must be here.
    held = keyring.ids()
    used = {r[0] for r in op.get_bind().execute(sa.select(sa.distinct(_blobs.c.key_id)))}
    if not held or not used <= held:
        raise SchemaError(
            f"revision 0008 re-encrypts ID store rows with the server's data key, but {data_dir}/keys "
            f"does not hold it (missing: {', '.join(sorted(used - held)) or 'any data key'}); "
            "is --data the server's data dir?"
        )
    return keyring


def _rows(bind, *columns):
    """All identities in uin order, a batch at a time (a large ID store never sits in memory)."""
    last = ""
    while True:
        batch = bind.execute(
            sa.select(_identities.c.uin, *columns)
            .where(_identities.c.uin > last)
            .order_by(_identities.c.uin)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].uin


def _has_identities(bind) -> bool:
    return bind.execute(sa.select(_identities.c.uin).limit(1)).first() is not None


def upgrade() -> None:
    bind = op.get_bind()
    keyring = _keyring() if _has_identities(bind) else None  # refuse before changing anything
    op.create_table(
        "server_audit_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
        ),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("target", sa.String(200)),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "server_audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": _GENESIS}])

    with op.batch_alter_table("idstore_identities") as batch:
        batch.add_column(sa.Column("key_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("demographics_ciphertext", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("blocking_key", sa.String(64), nullable=True))
    if keyring is not None:
        _encrypt_rows(bind, keyring)
    with op.batch_alter_table("idstore_identities") as batch:
        batch.alter_column("key_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("demographics_ciphertext", existing_type=sa.LargeBinary, nullable=False)
        batch.drop_column("demographics")
        batch.create_index("ix_idstore_identities_blocking_key", ["blocking_key"])


def _encrypt_rows(bind, keyring) -> None:
    from sync_server.idstore.sealing import blocking_hash, dedupe_hash, seal_demographics
    from sync_server.processing.dedupe import DedupeConfig, blocking_text

    key = keyring.current
    config = DedupeConfig()
    for row in _rows(bind, _identities.c.demographics, _identities.c.dedupe_key):
        demographics = dict(row.demographics)
        try:
            blocking = blocking_text(demographics, config=config)
        except ValueError:  # no or unreadable date of birth: no blocking key, still encrypted
            blocking = None
        bind.execute(
            sa.update(_identities)
            .where(_identities.c.uin == row.uin)
            .values(
                key_id=key.key_id,
                demographics_ciphertext=seal_demographics(key, uin=row.uin, demographics=demographics),
                dedupe_key=dedupe_hash(key, row.dedupe_key),
                blocking_key=blocking_hash(key, blocking) if blocking else None,
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    keyring = _keyring() if _has_identities(bind) else None
    with op.batch_alter_table("idstore_identities") as batch:
        batch.drop_index("ix_idstore_identities_blocking_key")
        batch.add_column(sa.Column("demographics", sa.JSON, nullable=True))
    if keyring is not None:
        _decrypt_rows(bind, keyring)
    with op.batch_alter_table("idstore_identities") as batch:
        batch.alter_column("demographics", existing_type=sa.JSON, nullable=False)
        batch.drop_column("blocking_key")
        batch.drop_column("demographics_ciphertext")
        batch.drop_column("key_id")
    op.drop_table("server_audit_head")
    op.drop_table("server_audit_log")


def _decrypt_rows(bind, keyring) -> None:
    from sync_server.idstore.sealing import open_demographics
    from sync_server.processing.dedupe import DedupeConfig, dedupe_key

    config = DedupeConfig()
    columns = (_identities.c.key_id, _identities.c.demographics_ciphertext, _identities.c.dedupe_key)
    for row in _rows(bind, *columns):
        demographics = open_demographics(
            keyring.get(row.key_id), uin=row.uin, ciphertext=row.demographics_ciphertext
        )
        try:
            plain_key = dedupe_key(demographics, config=config)
        except ValueError:  # cannot be rebuilt: keep the keyed hash, still unique
            plain_key = row.dedupe_key
        bind.execute(
            sa.update(_identities)
            .where(_identities.c.uin == row.uin)
            .values(demographics=demographics, dedupe_key=plain_key)
        )

"""The ID store service: issue UINs, write identities with encrypted blobs, audited lookups.

Writes are idempotent by RID (a packet retried or reclaimed after a worker crash gets the same UIN
and the same identity back), and both UIN and dedupe key are unique in the database, so concurrent
workers can neither reuse a number nor create two identities for one person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.tables import blobs, identities, reads, uins
from sync_server.processing.uin import generate_uin


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DuplicateIdentity(Exception):
    def __init__(self, uin: str) -> None:
        super().__init__(f"duplicate of UIN {uin}")
        self.uin = uin


class IdentityNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BlobIn:
    kind: str  # "document" | "biometric"
    name: str
    content_type: str
    data: bytes
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    uin: str
    rid: str
    version: int
    demographics: dict[str, Any]
    center_id: str | None
    blobs: list[BlobIn]


def _aad(uin: str, kind: str, name: str) -> bytes:
    return f"{uin}\x1f{kind}\x1f{name}".encode()


class IdStore:
    """Identities in the server database; documents and biometrics encrypted under the data key."""

    def __init__(self, *, engine: Engine, keyring: DataKeyring, new_uin: Callable[[], str] = generate_uin):
        self.engine = engine
        # Single statements need no transaction: in autocommit they cost one round trip instead of
        # BEGIN + statement + COMMIT/ROLLBACK, which adds up per packet on a busy PostgreSQL.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.keyring = keyring
        self.new_uin = new_uin

    def issue_uin(self, *, rid: str) -> str:
        """The packet's UIN: the one already issued for ``rid``, or a fresh random unused number."""
        for _ in range(20):
            with self._autocommit.connect() as conn:
                existing = conn.execute(select(uins.c.uin).where(uins.c.rid == rid)).scalar()
            if existing:
                return existing
            try:
                # One statement, atomic on its own: autocommit, no BEGIN/COMMIT round trips.
                with self._autocommit.connect() as conn:
                    candidate = self.new_uin()
                    conn.execute(insert(uins).values(uin=candidate, rid=rid, issued_at=_now()))
                return candidate
            except IntegrityError:
                continue  # number taken (or a concurrent issue for this RID): look again
        raise RuntimeError("could not find an unused UIN in 20 tries; is the UIN space exhausted?")

    def find_by_dedupe_key(self, dedupe_key: str) -> tuple[str, str] | None:
        """(uin, rid) of the identity with this key, if any."""
        with self._autocommit.connect() as conn:
            row = conn.execute(
                select(identities.c.uin, identities.c.rid).where(identities.c.dedupe_key == dedupe_key)
            ).first()
        return (row.uin, row.rid) if row else None

    def write_identity(
        self,
        *,
        uin: str,
        rid: str,
        demographics: dict[str, Any],
        dedupe_key: str,
        center_id: str | None,
        blobs_in: Sequence[BlobIn],
    ) -> None:
        """Insert identity and blobs in one transaction; a repeat for the same RID does nothing."""
        key = self.keyring.current
        now = _now()
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(identities.c.uin).where(identities.c.rid == rid)).scalar():
                    return
                conn.execute(
                    insert(identities).values(
                        uin=uin,
                        rid=rid,
                        version=1,
                        demographics=demographics,
                        dedupe_key=dedupe_key,
                        center_id=center_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                rows = [
                    {
                        "uin": uin,
                        "kind": blob.kind,
                        "name": blob.name,
                        "content_type": blob.content_type,
                        "attributes": blob.attributes,
                        "sha256": hashlib.sha256(blob.data).hexdigest(),
                        "key_id": key.key_id,
                        "ciphertext": key.encrypt(blob.data, aad=_aad(uin, blob.kind, blob.name)),
                    }
                    for blob in blobs_in
                ]
                if rows:  # one multi-row statement, not a round trip per blob
                    conn.execute(insert(blobs), rows)
        except IntegrityError:
            other = self.find_by_dedupe_key(dedupe_key)
            if other and other[1] != rid:
                raise DuplicateIdentity(other[0]) from None
            raise

    def _read(self, condition: Any, *, actor: str, purpose: str) -> Identity:
        with self.engine.begin() as conn:
            row = conn.execute(select(identities).where(condition)).mappings().first()
            if row is None:
                raise IdentityNotFound("no such identity")
            # The audit row is written in the same transaction as the read: no read without a trace.
            conn.execute(insert(reads).values(uin=row["uin"], actor=actor, purpose=purpose, read_at=_now()))
            blob_rows = conn.execute(
                select(blobs).where(blobs.c.uin == row["uin"]).order_by(blobs.c.id)
            ).mappings()
            decrypted = []
            for b in blob_rows:
                plain = self.keyring.get(b["key_id"]).decrypt(
                    b["ciphertext"], aad=_aad(b["uin"], b["kind"], b["name"])
                )
                decrypted.append(
                    BlobIn(b["kind"], b["name"], b["content_type"], plain, dict(b["attributes"]))
                )
        return Identity(
            row["uin"], row["rid"], row["version"], dict(row["demographics"]), row["center_id"], decrypted
        )

    def get_by_uin(self, uin: str, *, actor: str, purpose: str) -> Identity:
        """Admin lookup by UIN; audited."""
        return self._read(identities.c.uin == uin, actor=actor, purpose=purpose)

    def get_by_rid(self, rid: str, *, actor: str, purpose: str) -> Identity:
        """Admin lookup by registration ID; audited."""
        return self._read(identities.c.rid == rid, actor=actor, purpose=purpose)

    def read_audit(self, uin: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r)
                for r in conn.execute(select(reads).where(reads.c.uin == uin).order_by(reads.c.id)).mappings()
            ]

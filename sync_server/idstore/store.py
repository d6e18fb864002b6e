"""The ID store service: issue UINs, write identities encrypted, audited lookups.

Writes are idempotent by RID (a packet retried or reclaimed after a worker crash gets the same UIN
and the same identity back), and both UIN and dedupe key are unique in the database, so concurrent
workers can neither reuse a number nor create two identities for one person.

Demographics, documents and biometrics are ciphertext under the data key (``sealing.py`` says
exactly what is stored); the dedupe and blocking keys are keyed hashes under the key the row was
written with, so lookups hash under every key held (after a data-key rotation old rows still match).
Every admin read appends a ``identity.read`` entry to the server audit log in the read's transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sync_server.db.engine import single_statements
from sync_server.idstore.data_key import DataKey, DataKeyring
from sync_server.idstore.history import set_status, versions
from sync_server.idstore.sealing import (
    blocking_hash,
    dedupe_hash,
    open_demographics,
    seal_demographics,
    seal_version,
)
from sync_server.idstore.tables import blobs, identities, identity_versions, reads, uins
from sync_server.idstore.uin import generate_uin
from sync_server.ports import (
    MAX_PURPOSE_CHARS,
    BlobIn,
    CandidateIdentity,
    DuplicateIdentity,
    Identity,
    IdentityInactive,
    IdentityNotFound,
    StoredIdentity,
    VersionConflict,
)
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

# Built once: the statements a new registration runs, each once a packet; building and keying a
# statement cost a worker more than SQLite takes to run it.
_UIN_OF_RID = select(uins.c.uin).where(uins.c.rid == bindparam("rid"))
_ADD_UIN = insert(uins)
_BY_DEDUPE_KEY = select(identities.c.uin, identities.c.rid).where(
    identities.c.dedupe_key.in_(bindparam("hashed", expanding=True))
)
_IDENTITY_OF_RID = select(identities.c.uin).where(identities.c.rid == bindparam("rid"))
_ADD_IDENTITY, _ADD_VERSION, _ADD_BLOBS = insert(identities), insert(identity_versions), insert(blobs)


@functools.lru_cache(maxsize=8)
def _candidates_query(limit: int) -> Select[Any]:
    """Active identities under any of the ``hashed`` blocking keys, ``limit`` at most, by UIN."""
    columns = identities.c
    return (
        select(columns.uin, columns.rid, columns.key_id, columns.demographics_ciphertext)
        .where(columns.blocking_key.in_(bindparam("hashed", expanding=True)), columns.status == "active")
        .order_by(columns.uin)
        .limit(limit)
    )


def _aad(uin: str, kind: str, name: str) -> bytes:
    return f"{uin}\x1f{kind}\x1f{name}".encode()


class IdStore:
    """Identities in the server database; documents and biometrics encrypted under the data key."""

    def __init__(self, *, engine: Engine, keyring: DataKeyring, new_uin: Callable[[], str] = generate_uin):
        self.engine = engine
        # Single statements need no transaction of their own (``single_statements``).
        self._single = single_statements(engine)
        self.keyring = keyring
        self.new_uin = new_uin

    def issue_uin(self, *, rid: str) -> str:
        """The packet's UIN: the one already issued for ``rid``, or a fresh random unused number.
        A new RID is the usual case, so a number is inserted first (one statement); both columns are
        unique, so a refusal means the RID has its number already, or this number is taken."""
        for _ in range(20):
            candidate = self.new_uin()
            try:
                with self._single.begin() as conn:
                    conn.execute(_ADD_UIN, {"uin": candidate, "rid": rid, "issued_at": utcnow()})
                return candidate
            except IntegrityError:
                with self._single.begin() as conn:
                    existing = conn.execute(_UIN_OF_RID, {"rid": rid}).scalar()
                if existing:
                    return existing  # issued before (a retry) or by a concurrent worker
        raise RuntimeError("could not find an unused UIN in 20 tries; is the UIN space exhausted?")

    def find_by_dedupe_key(self, dedupe_key: str) -> tuple[str, str] | None:
        """(uin, rid) of the identity with this dedupe key (``processing.dedupe.dedupe_key``), if any."""
        hashed = [dedupe_hash(key, dedupe_key) for key in self.keyring.all()]
        with self._single.begin() as conn:
            row = conn.execute(_BY_DEDUPE_KEY, {"hashed": hashed}).first()
        return (row.uin, row.rid) if row else None

    def candidates(
        self, *, blocking_text: str | None = None, blocking_texts: Sequence[str] = (), limit: int = 200
    ) -> list[CandidateIdentity]:
        """Active identities filed under any of these blocking keys (``processing.dedupe``), decrypted,
        for fuzzy matching by the processing backend (not an admin read: not in the audit log)."""
        texts = [*([blocking_text] if blocking_text else []), *blocking_texts]
        hashed = [blocking_hash(key, text) for key in self.keyring.all() for text in texts]
        with self._single.begin() as conn:
            rows = conn.execute(_candidates_query(limit), {"hashed": hashed}).all()
        return [
            CandidateIdentity(
                r.uin,
                r.rid,
                open_demographics(
                    self.keyring.get(r.key_id), uin=r.uin, ciphertext=r.demographics_ciphertext
                ),
            )
            for r in rows
        ]

    def write_identity(
        self,
        *,
        uin: str,
        rid: str,
        demographics: dict[str, Any],
        dedupe_key: str,
        center_id: str | None,
        blobs_in: Sequence[BlobIn],
        blocking_text: str | None = None,
        distinct: bool = False,
    ) -> None:
        """Insert identity, version 1 and blobs in one transaction; a repeat for the same RID does
        nothing. ``dedupe_key`` and ``blocking_text`` are stored only as keyed hashes (``sealing.py``).
        ``distinct`` (an adjudicator's "different person"): the dedupe key is stored salted with the
        RID, so the exact-match lookup keeps finding the first holder; fuzzy candidates find both."""
        key = self.keyring.current
        now = utcnow()
        stored_key = f"{dedupe_key}\x1f{rid}" if distinct else dedupe_key
        try:  # inserted first, as issue_uin: ``rid`` is unique, so a repeat is refused, then found
            with self.engine.begin() as conn:
                row = {
                    "uin": uin,
                    "rid": rid,
                    "version": 1,
                    "key_id": key.key_id,
                    "demographics_ciphertext": seal_demographics(key, uin=uin, demographics=demographics),
                    "dedupe_key": dedupe_hash(key, stored_key),
                    "blocking_key": blocking_hash(key, blocking_text) if blocking_text else None,
                    "center_id": center_id,
                    "created_at": now,
                    "updated_at": now,
                    "status": "active",
                }
                conn.execute(_ADD_IDENTITY, row)
                self._add_version(conn, key, uin, 1, rid, "new", sorted(demographics), demographics)
                self._put_blobs(conn, key, uin, blobs_in, replace=False)  # a new UIN holds none yet
        except IntegrityError:
            with self._single.begin() as conn:
                if conn.execute(_IDENTITY_OF_RID, {"rid": rid}).scalar():
                    return  # a repeat for the same RID
            other = self.find_by_dedupe_key(dedupe_key)
            if other and other[1] != rid:
                raise DuplicateIdentity(other[0]) from None
            raise

    @staticmethod
    def _add_version(
        conn: Connection,
        key: DataKey,
        uin: str,
        version: int,
        rid: str,
        flow: str,
        changed: Sequence[str],
        demographics: dict[str, Any],
    ) -> None:
        row = {
            "uin": uin,
            "version": version,
            "rid": rid,
            "flow": flow,
            "changed_fields": list(changed),
            "key_id": key.key_id,
            "demographics_ciphertext": seal_version(key, uin=uin, version=version, demographics=demographics),
            "created_at": utcnow(),
        }
        conn.execute(_ADD_VERSION, row)

    @staticmethod
    def _put_blobs(
        conn: Connection, key: DataKey, uin: str, blobs_in: Sequence[BlobIn], *, replace: bool = True
    ) -> None:
        """Insert blobs; ``replace``: first drop any of the same kind and name (an update's new capture)."""
        rows = [
            {
                "uin": uin,
                "kind": blob.kind,
                "name": blob.name,
                "content_type": blob.content_type,
                "attributes": blob.attributes,
                # The packet reader hashed each payload as it read it: not hashed twice.
                "sha256": blob.sha256 or hashlib.sha256(blob.data).hexdigest(),
                "key_id": key.key_id,
                "ciphertext": key.encrypt_blob(blob.data, aad=_aad(uin, blob.kind, blob.name)),
            }
            for blob in blobs_in
        ]
        if replace and rows:  # one statement for all of them
            conn.execute(
                blobs.delete().where(
                    blobs.c.uin == uin,
                    or_(*(and_(blobs.c.kind == row["kind"], blobs.c.name == row["name"]) for row in rows)),
                )
            )
        if rows:  # one multi-row statement, not a round trip per blob
            conn.execute(_ADD_BLOBS, rows)

    def current(self, uin: str) -> StoredIdentity | None:
        """The current version of ``uin`` for processing (update, lost): not an admin read."""
        with self._single.begin() as conn:
            row = conn.execute(select(identities).where(identities.c.uin == uin)).mappings().first()
        if row is None:
            return None
        demographics = open_demographics(
            self.keyring.get(row["key_id"]), uin=row["uin"], ciphertext=row["demographics_ciphertext"]
        )
        return StoredIdentity(row["uin"], row["rid"], row["version"], row["status"], demographics)

    def update_identity(
        self,
        *,
        uin: str,
        rid: str,
        flow: str,
        expected_version: int,
        demographics: dict[str, Any],
        changed_fields: Sequence[str],
        dedupe_key: str,
        blocking_text: str | None,
        blobs_in: Sequence[BlobIn],
    ) -> int:
        """The next version of ``uin`` (``IdentityWriter.update_identity``): one transaction."""
        key = self.keyring.current
        try:
            with self.engine.begin() as conn:
                done = conn.execute(
                    select(identity_versions.c.version).where(identity_versions.c.rid == rid)
                ).scalar()
                if done is not None:
                    return int(done)
                row = conn.execute(select(identities).where(identities.c.uin == uin)).mappings().first()
                if row is None:
                    raise IdentityNotFound(f"no identity with UIN {uin}")
                if row["status"] != "active":
                    raise IdentityInactive(f"UIN {uin} is {row['status']}")
                had_history = conn.execute(
                    select(identity_versions.c.version).where(identity_versions.c.uin == uin).limit(1)
                ).first()
                if had_history is None:  # stored before versions were kept: record the one it replaces
                    before = open_demographics(
                        self.keyring.get(row["key_id"]), uin=uin, ciphertext=row["demographics_ciphertext"]
                    )
                    self._add_version(
                        conn, key, uin, row["version"], row["rid"], "new", sorted(before), before
                    )
                version = expected_version + 1
                changed = conn.execute(
                    update(identities)
                    .where(identities.c.uin == uin, identities.c.version == expected_version)
                    .values(
                        version=version,
                        key_id=key.key_id,
                        demographics_ciphertext=seal_demographics(key, uin=uin, demographics=demographics),
                        dedupe_key=dedupe_hash(key, dedupe_key),
                        blocking_key=blocking_hash(key, blocking_text) if blocking_text else None,
                        updated_at=utcnow(),
                    )
                ).rowcount
                if changed != 1:
                    raise VersionConflict(f"UIN {uin} is no longer at version {expected_version}")
                self._add_version(conn, key, uin, version, rid, flow, changed_fields, demographics)
                self._put_blobs(conn, key, uin, blobs_in)
        except IntegrityError:  # the changed details are another identity's (unique dedupe key)
            other = self.find_by_dedupe_key(dedupe_key)
            if other and other[0] != uin:
                raise DuplicateIdentity(other[0]) from None
            raise
        return version

    def _read(self, condition: Any, *, by: str, actor: str, purpose: str) -> Identity:
        purpose = purpose.strip()
        if not purpose or len(purpose) > MAX_PURPOSE_CHARS:
            raise ValueError(f"a purpose of 1-{MAX_PURPOSE_CHARS} characters is required")
        with self.engine.begin() as conn:
            row = conn.execute(select(identities).where(condition)).mappings().first()
            if row is None:
                raise IdentityNotFound("no such identity")
            # The audit rows are written in the same transaction as the read: no read without a trace.
            conn.execute(insert(reads).values(uin=row["uin"], actor=actor, purpose=purpose, read_at=utcnow()))
            append_audit(
                conn,
                actor=actor,
                action="identity.read",
                target=row["uin"],
                details={"by": by, "purpose": purpose},
            )
            demographics = open_demographics(
                self.keyring.get(row["key_id"]), uin=row["uin"], ciphertext=row["demographics_ciphertext"]
            )
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
            history = versions(conn, self.keyring, row["uin"])
        return Identity(
            row["uin"],
            row["rid"],
            row["version"],
            demographics,
            row["center_id"],
            decrypted,
            row["status"],
            row["status_reason"],
            history,
        )

    def get_by_uin(self, uin: str, *, actor: str, purpose: str) -> Identity:
        """Admin lookup by UIN; audited."""
        return self._read(identities.c.uin == uin, by="uin", actor=actor, purpose=purpose)

    def get_by_rid(self, rid: str, *, actor: str, purpose: str) -> Identity:
        """Admin lookup by registration ID (the registration's, or an update's); audited."""
        updated = select(identity_versions.c.uin).where(identity_versions.c.rid == rid).scalar_subquery()
        condition = or_(identities.c.rid == rid, identities.c.uin == updated)
        return self._read(condition, by="rid", actor=actor, purpose=purpose)

    def set_status(self, uin: str, *, status: str, reason: str, actor: str) -> str:
        """``IdentityReader.set_status``: one audited transaction."""
        with self.engine.begin() as conn:
            return set_status(conn, uin=uin, status=status, reason=reason, actor=actor)

    def read_audit(self, uin: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r)
                for r in conn.execute(select(reads).where(reads.c.uin == uin).order_by(reads.c.id)).mappings()
            ]

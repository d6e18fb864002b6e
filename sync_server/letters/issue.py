"""Issue a UIN letter for an identity in the ID store: an audited read, then the letter, then an
``identity.letter`` entry in the server audit log committed together with handing the PDF over.

Which key signs: the server's Ed25519 signing key (``sync_server.keys``, ``DATA/keys/signing-key.ed25519``),
the key kiosks pin at enrolment and trust for master data; docs/uin-letter.md says why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.signing import key_id
from sync_server.ports import Identity, IdentityInactive
from sync_server.services.audit import append_audit, lock_audit_log
from sync_server.services.masterdata import current_row


class IdentityReader(Protocol):
    """The audited read the letter needs (``sync_server.idstore.store.IdStore`` provides it)."""

    def get_by_uin(self, uin: str, *, actor: str, purpose: str) -> Identity: ...


@dataclass(frozen=True)
class IssuedLetter:
    uin: str
    language: str
    issued_on: dt.date
    key_id: str
    sha256: str
    pdf: bytes


def center_name(engine: Engine, center_id: str | None) -> str:
    """The center's name from current master data; its id if the center is unknown; "-" for none."""
    if not center_id:
        return "-"
    with Session(engine) as session:
        row = current_row(session, "centers", center_id)
    name = (row or {}).get("name")
    return str(name) if isinstance(name, str) and name.strip() else center_id


def issue_letter(
    *,
    engine: Engine,
    store: IdentityReader,
    signing_key: Ed25519PrivateKey,
    uin: str,
    language: str,
    purpose: str,
    actor: str,
    issued_on: dt.date,
    deliver: Callable[[bytes], None],
) -> IssuedLetter:
    """Read the identity (audited with ``purpose``; raises ``IdentityNotFound``, or ValueError for a bad
    purpose), build the letter, then, with the audit log locked, ``deliver`` the PDF (e.g. write it)
    and append ``identity.letter``: if delivery fails nothing is logged, and a busy database fails
    before delivery."""
    identity = store.get_by_uin(uin, actor=actor, purpose=purpose)
    if identity.status != "active":  # a deactivated or revoked UIN gets no letter vouching for it
        raise IdentityInactive(f"UIN {uin} is {identity.status}: no letter is issued")
    from sync_server.letters.letter import build_letter  # reportlab (0.2 s at import): only for a letter

    pdf = build_letter(
        uin=identity.uin,
        demographics=identity.demographics,
        language=language,
        center_name=center_name(engine, identity.center_id),
        signer=signing_key,
        issued_on=issued_on,
    )
    letter = IssuedLetter(
        uin=identity.uin,
        language=language,
        issued_on=issued_on,
        key_id=key_id(signing_key),
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
    )
    with engine.begin() as conn:
        lock_audit_log(conn)
        deliver(pdf)
        append_audit(
            conn,
            actor=actor,
            action="identity.letter",
            target=identity.uin,
            details={
                "language": language,
                "issued_on": issued_on.isoformat(),
                "key_id": letter.key_id,
                "sha256": letter.sha256,
                "purpose": purpose.strip(),
            },
        )
    return letter

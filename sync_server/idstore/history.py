"""An identity's versions and status, as an audited admin read shows them and an admin changes them.

Versions are read in the caller's audited read transaction (``IdStore._read``), decrypted with the
key each was sealed under, and paired with what each changed against the one before (``diff``).
Status: ``active`` -> ``deactivated`` (reversible) or ``revoked`` (final); each change is audited with
its reason in the change's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.sealing import open_version
from sync_server.idstore.tables import identities, identity_versions
from sync_server.ports import MAX_PURPOSE_CHARS, IdentityNotFound, IdentityVersion
from sync_server.services.audit import append_audit

STATUSES = ("active", "deactivated", "revoked")


def versions(conn: Connection, keyring: DataKeyring, uin: str) -> list[IdentityVersion]:
    """Every recorded version of ``uin``, oldest first, each with its changes against the one before."""
    rows = conn.execute(
        select(identity_versions).where(identity_versions.c.uin == uin).order_by(identity_versions.c.version)
    ).mappings()
    out: list[IdentityVersion] = []
    before: dict[str, Any] = {}
    for row in rows:
        values = open_version(
            keyring.get(row["key_id"]),
            uin=uin,
            version=row["version"],
            ciphertext=row["demographics_ciphertext"],
        )
        changes = {
            k: (before.get(k), values.get(k))
            for k in sorted(set(before) | set(values))
            if out and before.get(k) != values.get(k)
        }
        created = row["created_at"]
        out.append(IdentityVersion(row["version"], row["rid"], row["flow"], created, changes))
        before = values
    return out


def set_status(conn: Connection, *, uin: str, status: str, reason: str, actor: str) -> str:
    """Change ``uin``'s status (audited, on ``conn``); returns the status it had. ``ValueError`` for a
    status or reason that is not allowed, or a revoked identity (revocation is final)."""
    reason = " ".join(reason.split())
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if not reason or len(reason) > MAX_PURPOSE_CHARS:
        raise ValueError(f"a reason of 1-{MAX_PURPOSE_CHARS} characters is required")
    before = conn.execute(select(identities.c.status).where(identities.c.uin == uin)).scalar()
    if before is None:
        raise IdentityNotFound(f"no identity with UIN {uin}")
    if before == "revoked":
        raise ValueError("a revoked UIN stays revoked")
    if before == status:
        return before
    conn.execute(
        update(identities).where(identities.c.uin == uin).values(status=status, status_reason=reason)
    )
    append_audit(
        conn,
        actor=actor,
        action="identity.status",
        target=uin,
        details={"from": before, "to": status, "reason": reason},
    )
    return before

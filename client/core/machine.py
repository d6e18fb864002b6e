"""This kiosk's identity, kept in the encrypted store: Ed25519 machine key, machine/center ids, and the
server keys pinned at enrolment (signing key for master data, age recipient for packets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text

from client.core.store import Store
from shared.signing import generate_private_key, private_key_from_bytes, private_key_to_bytes, public_key_b64


def read_setting(conn: Connection, key: str, default: Any = None) -> Any:
    row = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": key}).first()
    return json.loads(row[0]) if row else default


def write_setting(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        text("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
        {"k": key, "v": json.dumps(value)},
    )


@dataclass(frozen=True)
class MachineIdentity:
    machine_id: str | None
    center_id: str | None
    public_key: str
    status: str  # new | pending | approved | rejected
    server_signing_key: str | None
    server_recipients: list[str]
    recipient_key_id: str | None
    keys_issued_at: str | None = None  # of the signed key set the recipients came from (ISO 8601)

    @property
    def enrolled(self) -> bool:
        return self.status == "approved" and bool(self.server_signing_key) and bool(self.server_recipients)

    @property
    def pinned(self) -> bool:
        """A server signing key is pinned: from now on recipients and the server address change only
        through a key set signed with it, and enrolling again needs a supervisor."""
        return bool(self.server_signing_key)


class PinnedKeyMismatch(PermissionError):
    """An answer tried to change what was pinned at enrolment without the pinned key's signature."""


class MachineKeys:
    """Owns the machine key; the private key never leaves this object except to sign or seal."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def private_key(self) -> Ed25519PrivateKey:
        """The machine key, made on first use (in the same transaction that stores it)."""
        with self._store.transaction() as conn:
            raw = read_setting(conn, "machine.private_key")
            if raw is None:
                key = generate_private_key()
                write_setting(conn, "machine.private_key", private_key_to_bytes(key).hex())
                return key
        return private_key_from_bytes(bytes.fromhex(raw))

    def identity(self) -> MachineIdentity:
        public = public_key_b64(self.private_key())
        with self._store.transaction() as conn:
            get = lambda k, d=None: read_setting(conn, k, d)  # noqa: E731
            return MachineIdentity(
                machine_id=get("machine.id"),
                center_id=get("machine.center_id"),
                public_key=public,
                status=get("machine.status", "new"),
                server_signing_key=get("server.signing_key"),
                server_recipients=get("server.recipients", []),
                recipient_key_id=get("server.recipient_key_id"),
                keys_issued_at=get("server.keys_issued_at"),
            )

    def audit(self, *, action: str, details: dict[str, Any] | None = None) -> None:
        from client.core.audit import append_audit

        with self._store.transaction() as conn:
            append_audit(conn, actor=None, action=action, details=details)

    def server_url(self) -> str | None:
        with self._store.transaction() as conn:
            return read_setting(conn, "server.url")

    def record_contact(self, when: datetime) -> None:
        """Note a completed exchange with the server (master data in step with it), for "last sync"."""
        with self._store.transaction() as conn:
            write_setting(conn, "server.last_contact", when.astimezone(UTC).isoformat())

    def last_contact(self) -> datetime | None:
        """When the kiosk last completed an exchange with the server (aware UTC), or None if never."""
        with self._store.transaction() as conn:
            raw = read_setting(conn, "server.last_contact")
        return datetime.fromisoformat(raw) if raw else None

    def record_enrolment(
        self,
        *,
        status: str,
        machine_id: str | None = None,
        center_id: str | None = None,
        signing_key: str | None = None,
        recipients: list[str] | None = None,
        recipient_key_id: str | None = None,
        server_url: str | None = None,
        keys_issued_at: str | None = None,
    ) -> None:
        """Save the enrolment answer. Pinned keys are set once: a different signing key later is
        refused, and so is a different recipient or server address (those change only through
        :meth:`apply_server_keys`, after the signed key set was verified)."""
        with self._store.transaction() as conn:
            pinned = read_setting(conn, "server.signing_key")
            if pinned and signing_key and signing_key != pinned:
                raise PinnedKeyMismatch("the server presented a different signing key than the one pinned")
            if pinned:
                for key, value in (("server.recipients", recipients), ("server.url", server_url)):
                    if value is not None and value != read_setting(conn, key):
                        raise PinnedKeyMismatch(
                            f"refusing an unsigned change of {key.removeprefix('server.')} after enrolment"
                        )
            write_setting(conn, "machine.status", status)
            for key, value in (
                ("machine.id", machine_id),
                ("machine.center_id", center_id),
                ("server.signing_key", signing_key),
                ("server.recipients", recipients),
                ("server.url", server_url),
                ("server.recipient_key_id", recipient_key_id),
                ("server.keys_issued_at", keys_issued_at),
            ):
                if value is not None:
                    write_setting(conn, key, value)

    def apply_server_keys(
        self, *, recipients: list[str], recipient_key_id: str, issued_at: str, server_url: str | None
    ) -> None:
        """Replace recipients (and the server address, when given) from a key set the caller has
        verified against the pinned signing key (client.core.sync.server_keys)."""
        with self._store.transaction() as conn:
            write_setting(conn, "server.recipients", list(recipients))
            write_setting(conn, "server.recipient_key_id", recipient_key_id)
            write_setting(conn, "server.keys_issued_at", issued_at)
            if server_url:
                write_setting(conn, "server.url", server_url)

    def pin_server_ca(self, pem: bytes) -> None:
        """Keep the CA (or self-signed server certificate) the kiosk trusts for this server."""
        with self._store.transaction() as conn:
            write_setting(conn, "server.tls_ca_pem", pem.decode("ascii"))

    def pinned_server_ca(self) -> bytes | None:
        with self._store.transaction() as conn:
            pem = read_setting(conn, "server.tls_ca_pem")
        return pem.encode("ascii") if pem else None

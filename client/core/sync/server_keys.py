"""The server's signed key set: how an enrolled kiosk learns a rotated packet recipient or a new server
address without trusting anything but the signing key it pinned at enrolment.

Each fetch sends a fresh random nonce that the server signs into the set, so a set someone recorded
earlier cannot be replayed; a set older than the one held is a rollback and is refused, and so is a
different set carrying the same issue time. Nothing changes unless every check passes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from client.core.machine import MachineKeys
from client.core.sync.tls import InsecureServerUrl, check_server_url
from shared.exit_codes import REFUSED
from shared.packet.keys import recipient_key_id
from shared.signing import SignatureError, key_id
from shared.sync import ServerKeySet, verify_server_keys


class ServerKeysRefused(RuntimeError):
    """A key set failed a check (signature, nonce, rollback, address); nothing was changed."""

    exit_code = REFUSED


class ServerKeySource(Protocol):
    base_url: str

    def server_keys(self, *, nonce: str) -> Any:
        """The JSON body of GET /api/v1/keys?nonce=... (shared.sync.SignedServerKeySet)."""
        ...


@dataclass(frozen=True)
class KeyRefresh:
    changed: bool
    recipient_key_id: str
    server_url: str | None


def fetch_verified_key_set(source: ServerKeySource, *, signing_key: str) -> ServerKeySet:
    """Ask ``source`` for its key set with a fresh nonce and verify it against ``signing_key``."""
    nonce = secrets.token_urlsafe(24)
    body = source.server_keys(nonce=nonce)
    try:
        key_set = verify_server_keys(signing_key, body)
    except SignatureError as exc:
        raise ServerKeysRefused(
            f"the server's key set is not signed by the pinned server key; nothing changed ({exc})"
        ) from exc
    if not hmac.compare_digest(key_set.nonce, nonce):
        raise ServerKeysRefused("the server's key set answers another request (replayed); nothing changed")
    if key_set.signing_key_id != key_id(signing_key):
        raise ServerKeysRefused("the server's key set names another signing key; nothing changed")
    if key_set.recipient_key_id != recipient_key_id(key_set.packet_recipients[0]):
        raise ServerKeysRefused("the server's key set has a key id that does not match its recipient")
    return key_set


def apply_key_set(
    machine: MachineKeys,
    key_set: ServerKeySet,
    *,
    allow_insecure_http: bool,
    server_url: str | None = None,
    actor: str | None = None,
) -> KeyRefresh:
    """Pin ``key_set`` (already verified) unless it is a rollback or a conflicting set. ``server_url``
    is the address the set was fetched from when a supervisor chose it (re-enrolment); otherwise the
    set's own signed ``server_url`` moves the kiosk."""
    identity = machine.identity()
    if identity.keys_issued_at:
        held = dt.datetime.fromisoformat(identity.keys_issued_at)
        if key_set.issued_at < held:
            raise ServerKeysRefused(
                f"the server's key set is older ({key_set.issued_at.isoformat()}) than the one this kiosk "
                f"holds ({held.isoformat()}): refusing a rollback"
            )
        if key_set.issued_at == held and key_set.packet_recipients != identity.server_recipients:
            raise ServerKeysRefused("the server's key set changes the recipients without a newer issue time")
    new_url = server_url or key_set.server_url
    if new_url:
        try:
            new_url = check_server_url(new_url, allow_insecure_http=allow_insecure_http)
        except InsecureServerUrl as exc:
            raise ServerKeysRefused(
                f"the server's key set names an address this kiosk refuses: {exc}"
            ) from exc
    old_url = machine.server_url()
    changed = (
        key_set.packet_recipients != identity.server_recipients
        or identity.keys_issued_at != key_set.issued_at.isoformat()
        or bool(new_url and new_url != old_url)
    )
    if changed:
        machine.apply_server_keys(
            recipients=key_set.packet_recipients,
            recipient_key_id=key_set.recipient_key_id,
            issued_at=key_set.issued_at.isoformat(),
            server_url=new_url,
        )
        machine.audit(
            action="server.keys_changed",
            details={
                "from_key_id": identity.recipient_key_id,
                "to_key_id": key_set.recipient_key_id,
                "issued_at": key_set.issued_at.isoformat(),
                "server_url": new_url or old_url,
                "approved_by": actor,
            },
        )
    return KeyRefresh(
        changed=changed, recipient_key_id=key_set.recipient_key_id, server_url=new_url or old_url
    )


def refresh_server_keys(
    machine: MachineKeys, source: ServerKeySource, *, allow_insecure_http: bool
) -> KeyRefresh:
    """Fetch, verify against the pinned signing key, and pin a newer key set (each sync round)."""
    identity = machine.identity()
    if not identity.pinned or not identity.server_signing_key:
        raise ServerKeysRefused("this kiosk is not enrolled yet: no pinned server key to check against")
    key_set = fetch_verified_key_set(source, signing_key=identity.server_signing_key)
    return apply_key_set(machine, key_set, allow_insecure_http=allow_insecure_http)

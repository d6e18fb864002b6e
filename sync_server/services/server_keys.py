"""The signed key set kiosks fetch to learn (and, after a rotation, replace) the packet recipients."""

from __future__ import annotations

from shared.signing import key_id
from shared.sync import ServerKeySet, SignedServerKeySet, sign_server_keys
from sync_server.keys import ServerKeys


def signed_key_set(*, keys: ServerKeys, public_url: str | None, nonce: str) -> SignedServerKeySet:
    """The current recipients, key id, public URL and issue time, signed with the server signing key.

    The kiosk's ``nonce`` is signed in, so the answer proves the server holds the signing key now (an
    old answer cannot be replayed by someone else); ``issued_at`` lets kiosks refuse a rollback."""
    key_set = ServerKeySet(
        signing_key_id=key_id(keys.signing_key),
        packet_recipients=keys.recipients,
        recipient_key_id=keys.recipient_key_id,
        server_url=public_url,
        issued_at=keys.issued_at,
        nonce=nonce,
    )
    return sign_server_keys(keys.signing_key, key_set)

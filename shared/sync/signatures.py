"""Sign and verify master data the way both ends agree (docs/sync-protocol.md).

A change page is signed over ``canonical_json(payload)``; a snapshot over the exact gzip body bytes
(so the client checks before it decompresses anything).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.canonical import canonical_json
from shared.signing import SignatureError, key_id, sign_b64, verify_b64
from shared.sync.models import ChangesPage, ServerKeySet, SignedChangesPage, SignedServerKeySet, Snapshot


def sign_changes_page(key: Ed25519PrivateKey, page: ChangesPage) -> SignedChangesPage:
    payload = page.model_dump(mode="json")
    return SignedChangesPage(
        payload=page, signature=sign_b64(key, canonical_json(payload)), key_id=key_id(key)
    )


def verify_changes_page(public: Ed25519PublicKey | str, body: dict[str, Any]) -> ChangesPage:
    """Verify a GET /masterdata/changes JSON body; raise SignatureError (also for malformed bodies)."""
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        raise SignatureError("change page has no payload object")
    signature = body.get("signature")
    if not isinstance(signature, str):
        raise SignatureError("change page has no signature")
    verify_b64(public, canonical_json(body["payload"]), signature)
    try:
        return ChangesPage.model_validate(body["payload"])
    except ValueError as exc:
        raise SignatureError(f"signed change page is malformed: {exc}") from exc


def sign_snapshot(key: Ed25519PrivateKey, snapshot: Snapshot) -> tuple[bytes, str]:
    """Return (gzip body bytes, base64 signature over them)."""
    body = gzip.compress(canonical_json(snapshot.model_dump(mode="json")), compresslevel=6, mtime=0)
    return body, sign_b64(key, body)


def verify_snapshot(public: Ed25519PublicKey | str, body: bytes, signature: str) -> Snapshot:
    """Verify then decode a snapshot body; raise SignatureError on any mismatch or malformed content."""
    verify_b64(public, body, signature)
    try:
        return Snapshot.model_validate(json.loads(gzip.decompress(body)))
    except (OSError, ValueError) as exc:
        raise SignatureError(f"signed snapshot is malformed: {exc}") from exc


def sign_server_keys(key: Ed25519PrivateKey, key_set: ServerKeySet) -> SignedServerKeySet:
    payload = key_set.model_dump(mode="json")
    return SignedServerKeySet(
        payload=key_set, signature=sign_b64(key, canonical_json(payload)), key_id=key_id(key)
    )


def verify_server_keys(public: Ed25519PublicKey | str, body: Any) -> ServerKeySet:
    """Verify a GET /api/v1/keys JSON body against ``public`` (the pinned key), then parse it; raise
    SignatureError for a bad or missing signature and for a signed body of the wrong shape."""
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        raise SignatureError("key set has no payload object")
    signature = body.get("signature")
    if not isinstance(signature, str):
        raise SignatureError("key set has no signature")
    verify_b64(public, canonical_json(body["payload"]), signature)
    try:
        return ServerKeySet.model_validate(body["payload"])
    except ValueError as exc:
        raise SignatureError(f"signed key set is malformed: {exc}") from exc

"""Sealing the outbox's personal data (recipient and values) under the server's data key.

The outbox does not import the ID store: it needs only a :class:`Sealer`. :class:`KeyringSealer`
adapts any keyring shaped like ``sync_server.idstore.data_key.DataKeyring`` (a ``current`` key and
``get(key_id)``, keys with ``key_id``, ``encrypt(data, aad=...)`` and ``decrypt(blob, aad=...)``),
so the composition root wires it with ``KeyringSealer(DataKeyring(data_dir))``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol


class SealError(Exception):
    """A sealed payload cannot be opened (unknown key, tampered or moved to another row)."""


class Sealer(Protocol):
    """Authenticated encryption with rotation: ``seal`` uses the current key and returns its id with
    the blob; ``open`` takes the id a blob was sealed under. ``aad`` binds a blob to its row.
    Thread-safe."""

    def seal(self, data: bytes, *, aad: bytes) -> tuple[str, bytes]: ...

    def open(self, key_id: str, blob: bytes, *, aad: bytes) -> bytes: ...


class _Key(Protocol):
    key_id: str

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes: ...

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes: ...


class _Keyring(Protocol):
    @property
    def current(self) -> _Key: ...

    def get(self, key_id: str) -> _Key: ...


class KeyringSealer:
    """A :class:`Sealer` over the server's data keyring (see the module docstring)."""

    def __init__(self, keyring: _Keyring) -> None:
        self._keyring = keyring

    def seal(self, data: bytes, *, aad: bytes) -> tuple[str, bytes]:
        key = self._keyring.current  # once: a rotation in between must not mislabel the blob
        return key.key_id, key.encrypt(data, aad=aad)

    def open(self, key_id: str, blob: bytes, *, aad: bytes) -> bytes:
        try:
            return self._keyring.get(key_id).decrypt(blob, aad=aad)
        except Exception as exc:  # the keyring's own error types stay behind the port
            raise SealError(f"cannot open a payload sealed under key {key_id}: {type(exc).__name__}") from exc


def row_aad(rid: str, event: str, channel: str) -> bytes:
    """What a payload is bound to: copying it onto another row makes it fail to open."""
    return f"openreg-notification\x1f{rid}\x1f{event}\x1f{channel}".encode()


def seal_payload(sealer: Sealer, *, aad: bytes, to: str, values: dict[str, Any]) -> tuple[str, bytes]:
    """(key id, ciphertext) of the recipient and values."""
    data = json.dumps({"to": to, "values": values}, ensure_ascii=False, separators=(",", ":")).encode()
    return sealer.seal(data, aad=aad)


def open_payload(sealer: Sealer, *, key_id: str, blob: bytes, aad: bytes) -> tuple[str, dict[str, Any]]:
    """(recipient, values) of a sealed payload; raises SealError."""
    if not blob:
        raise SealError("the payload was already emptied (the message was sent)")
    try:
        data = json.loads(sealer.open(key_id, blob, aad=aad))
        to, values = data["to"], data["values"]
    except SealError:
        raise
    except Exception as exc:
        raise SealError(f"the payload does not open: {type(exc).__name__}") from exc
    if not isinstance(to, str) or not isinstance(values, dict):
        raise SealError("the payload has an unexpected shape")
    return to, values

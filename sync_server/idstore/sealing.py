"""How an identity's demographics are kept at rest: ciphertext plus keyed hashes for lookups.

One place for the rule, used by the ID store and by the migration that encrypted older rows:

* demographics: canonical JSON, AES-256-GCM under the data key, bound to the row by the AAD
  ``<uin> 0x1F demographics`` (a ciphertext copied onto another identity does not decrypt);
* dedupe key: ``HMAC(data key, "dedupe" 0x1F <SHA-256 hex of the normalised dedupe parts>)``;
* blocking key: ``HMAC(data key, "blocking" 0x1F <normalised date of birth>)``;
* each version (``idstore_identity_versions``): like the demographics, with the AAD
  ``<uin> 0x1F demographics 0x1F v<version>`` (a version cannot pass for another).
"""

from __future__ import annotations

import json
from typing import Any

from shared.canonical import canonical_json
from sync_server.idstore.data_key import DataKey


def _aad(uin: str) -> bytes:
    return f"{uin}\x1fdemographics".encode()


def seal_demographics(key: DataKey, *, uin: str, demographics: dict[str, Any]) -> bytes:
    """Ciphertext of ``demographics`` for the identity ``uin``."""
    return key.encrypt(canonical_json(demographics), aad=_aad(uin))


def open_demographics(key: DataKey, *, uin: str, ciphertext: bytes) -> dict[str, Any]:
    """The demographics back; raises ``DataKeyError`` on a tampered or misplaced ciphertext."""
    return json.loads(key.decrypt(ciphertext, aad=_aad(uin)))


def seal_version(key: DataKey, *, uin: str, version: int, demographics: dict[str, Any]) -> bytes:
    """Ciphertext of one version's demographics, bound to the identity and the version number."""
    return key.encrypt(canonical_json(demographics), aad=f"{uin}\x1fdemographics\x1fv{version}".encode())


def open_version(key: DataKey, *, uin: str, version: int, ciphertext: bytes) -> dict[str, Any]:
    return json.loads(key.decrypt(ciphertext, aad=f"{uin}\x1fdemographics\x1fv{version}".encode()))


def dedupe_hash(key: DataKey, dedupe_key: str) -> str:
    """The stored form of a dedupe key (``processing.dedupe.dedupe_key``)."""
    return key.keyed_hash("dedupe", dedupe_key)


def blocking_hash(key: DataKey, blocking_text: str) -> str:
    """The stored form of a blocking key (``processing.dedupe.blocking_text``)."""
    return key.keyed_hash("blocking", blocking_text)

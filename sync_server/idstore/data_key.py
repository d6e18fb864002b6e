"""The server data key: AES-256-GCM for demographics, documents and biometric records at rest.

The key lives in ``<data dir>/keys/data-key-<id>.bin`` created with mode 0600; a key readable by
group or others is refused rather than used. Each ciphertext carries the key id, so a new key can be
added (rotation) while old rows stay readable with the old file.

Lookups that need equality on encrypted values use keyed hashes instead (:meth:`DataKey.keyed_hash`,
HMAC-SHA256 under a subkey derived from the data key with HKDF): without the key file, a database
dump gives nothing to test guessed names or birth dates against.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.files import atomic_write

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class DataKeyError(Exception):
    """The data key is missing, unsafe or does not match the ciphertext."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    secret: bytes

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """nonce || ciphertext+tag; ``aad`` binds the blob to its row (e.g. RID and name)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.secret).encrypt(nonce, plaintext, aad)

    def encrypt_blob(self, plaintext: bytes, *, aad: bytes) -> bytearray:
        """:meth:`encrypt` for a large payload (a document, a biometric record), built in place: the
        ciphertext is written after the nonce instead of being copied there (a 2 MB document saves
        about 0.7 ms). A bytearray, which the database drivers store as they store bytes."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = bytearray(NONCE_BYTES + len(plaintext) + TAG_BYTES)
        sealed[:NONCE_BYTES] = nonce
        AESGCM(self.secret).encrypt_into(nonce, plaintext, aad, memoryview(sealed)[NONCE_BYTES:])
        return sealed

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes:
        try:
            return AESGCM(self.secret).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except Exception as exc:
            raise DataKeyError("blob does not decrypt under this key (tampered or wrong row)") from exc

    def keyed_hash(self, purpose: str, value: str) -> str:
        """Hex HMAC-SHA256 of ``purpose`` + 0x1F + ``value`` under this key's lookup subkey; the purpose
        ("dedupe", "blocking") keeps hashes of one kind from matching another's."""
        subkey = HKDF(hashes.SHA256(), 32, salt=None, info=b"openreg idstore lookup v1").derive(self.secret)
        return hmac.new(subkey, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def _key_id(secret: bytes) -> str:
    return hashlib.sha256(b"openreg-data-key" + secret).hexdigest()[:16]


def _read_key(path: Path) -> DataKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DataKeyError(f"{path} is readable by group/others (mode {oct(mode & 0o777)}); chmod 600 it")
    secret = path.read_bytes()
    if len(secret) != KEY_BYTES:
        raise DataKeyError(f"{path} is not a {KEY_BYTES}-byte key")
    return DataKey(_key_id(secret), secret)


class DataKeyring:
    """All data keys under ``<data_dir>/keys``; ``current`` encrypts, any known id decrypts."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = Path(data_dir) / "keys"
        self._keys: dict[str, DataKey] = {}
        self._current: DataKey | None = None
        self.load()

    def load(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = sorted(self.directory.glob("data-key-*.bin"), key=lambda p: p.stat().st_mtime_ns)
        self._keys = {key.key_id: key for key in (_read_key(p) for p in files)}
        self._current = _read_key(files[-1]) if files else None

    @property
    def current(self) -> DataKey:
        if self._current is None:
            self._current = self.rotate()
        return self._current

    def rotate(self) -> DataKey:
        """Create a new key (0600, written atomically) and make it current."""
        secret = os.urandom(KEY_BYTES)
        key = DataKey(_key_id(secret), secret)
        atomic_write(self.directory / f"data-key-{key.key_id}.bin", secret)
        self._keys[key.key_id] = key
        self._current = key
        return key

    def _reload_if_rotated(self) -> None:
        # Another process (``openreg admin datakey rotate``, a restarted worker) may have added a key;
        # rows hashed under it must still be found here, so pick new files up before a lookup.
        names = {p.name for p in self.directory.glob("data-key-*.bin")}
        if names != {f"data-key-{key_id}.bin" for key_id in self._keys}:
            self.load()

    def ids(self) -> set[str]:
        """The ids of the keys on disk; unlike ``current`` and ``all`` it never makes a key."""
        self._reload_if_rotated()
        return set(self._keys)

    def all(self) -> list[DataKey]:
        """Every key held, the current one first (lookups hash under each: rows keep their key)."""
        self._reload_if_rotated()
        current = self.current
        return [current, *(k for k in self._keys.values() if k.key_id != current.key_id)]

    def get(self, key_id: str) -> DataKey:
        if key_id not in self._keys:
            self._reload_if_rotated()
        if key_id not in self._keys:
            raise DataKeyError(f"unknown data key id {key_id}")
        return self._keys[key_id]

"""The 256-bit database key, kept in the OS keyring.

The key is made on first start. A kiosk without a usable keyring backend stops with a clear message: the
only alternative, a file-backed keyring (keyrings.alt), must be chosen explicitly through
``ClientSettings.keyring_file`` — tests and the headless demo do that; nothing falls back to it silently.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

SERVICE = "openreg-client"
KEY_BYTES = 32


class KeyStoreUnavailable(RuntimeError):
    """No keyring backend can hold the database key."""


def _file_backend(path: Path) -> KeyringBackend:
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    path.parent.mkdir(parents=True, exist_ok=True)
    backend.file_path = str(path)  # instance attribute overrides the class default location
    return backend


def _os_backend() -> KeyringBackend:
    backend = keyring.get_keyring()
    # keyring's "fail" backend and the chainer with nothing usable have priority 0 or below.
    if getattr(backend, "priority", 0) <= 0 or type(backend).__module__.startswith("keyring.backends.fail"):
        raise KeyStoreUnavailable(
            "No usable OS keyring was found, so the kiosk cannot protect its database key. Install and "
            "unlock a keyring (e.g. GNOME Keyring / KWallet / Windows Credential Manager), or for a test "
            "or headless demo machine set OPENREG_CLIENT_KEYRING_FILE to a file path explicitly."
        )
    return backend


def get_or_create_db_key(*, db_path: Path, keyring_file: Path | None) -> bytes:
    """Return the 32-byte key for ``db_path``, making and storing it if the DB does not exist yet."""
    backend = _file_backend(keyring_file) if keyring_file else _os_backend()
    account = "db-key:" + hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:24]
    try:
        stored = backend.get_password(SERVICE, account)
    except KeyringError as exc:
        raise KeyStoreUnavailable(f"the keyring refused to give the database key: {exc}") from exc
    if stored:
        return bytes.fromhex(stored)
    if db_path.exists() and db_path.stat().st_size > 0:
        raise KeyStoreUnavailable(
            f"{db_path} exists but its key is not in the keyring; the database cannot be opened"
        )
    key = secrets.token_bytes(KEY_BYTES)
    try:
        backend.set_password(SERVICE, account, key.hex())
    except KeyringError as exc:
        raise KeyStoreUnavailable(f"the keyring refused to store the database key: {exc}") from exc
    return key

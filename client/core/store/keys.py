"""The 256-bit database key, kept in the OS keyring.

The key is made on first start. Only keyring backends that keep secrets in an OS credential store
(Secret Service, KWallet, macOS Keychain, Windows Credential Manager) are accepted; a plaintext or
unknown backend — e.g. keyrings.alt's file keyring winning on a headless Linux box, or one picked through
PYTHON_KEYRING_BACKEND — is refused with a clear message. The only alternative, a file-backed keyring
(keyrings.alt, installed by the ``demo``/``dev`` extras), must be chosen explicitly through
``ClientSettings.keyring_file``: tests and the headless demo do that; nothing falls back to it silently.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError

SERVICE = "openreg-client"
KEY_BYTES = 32
# Backends that hand the secret to an OS credential store. Anything else (keyrings.alt's plaintext or
# "encrypted" file keyrings, third-party plug-ins) may leave the SQLCipher key readable on disk.
TRUSTED_BACKENDS = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
    }
)
NO_KEYRING_HELP = (
    "Install and unlock an OS keyring (GNOME Keyring / KWallet via Secret Service, macOS Keychain, Windows "
    "Credential Manager; see docs/operator-guide.md for auto-login kiosks), or for a test or headless demo "
    "machine set OPENREG_CLIENT_KEYRING_FILE to a file path explicitly."
)


class KeyStoreUnavailable(RuntimeError):
    """No keyring backend can hold the database key."""


def backend_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _file_backend(path: Path) -> KeyringBackend:
    try:  # imported only here: the product never loads keyrings.alt unless a file keyring is asked for
        from keyrings.alt.file import PlaintextKeyring
    except ImportError as exc:
        raise KeyStoreUnavailable(
            "a file keyring was asked for (OPENREG_CLIENT_KEYRING_FILE / --keyring-file) but keyrings.alt is "
            "not installed; it comes with the 'demo' extra (pip install 'openreg[demo]') and is for tests "
            "and demos only"
        ) from exc

    backend = PlaintextKeyring()
    path.parent.mkdir(parents=True, exist_ok=True)
    backend.file_path = str(path)  # instance attribute overrides the class default location
    return backend


def _priority(backend: KeyringBackend) -> float:
    try:
        return float(backend.priority)
    except Exception:  # a backend's priority probe raises when it is not viable here
        return 0.0


def _os_backend() -> KeyringBackend:
    """The OS keyring backend that will hold the key; refuse plaintext, unknown or missing ones."""
    resolved = keyring.get_keyring()
    # The chainer writes to its highest-priority backend: that is the one that must be trusted, and the
    # key goes to it directly so a lower plaintext backend in the chain never sees it.
    candidates = list(resolved.backends) if isinstance(resolved, ChainerBackend) else [resolved]
    candidates = [
        b for b in candidates if _priority(b) > 0 and not backend_name(b).startswith("keyring.backends.fail")
    ]
    if not candidates:
        raise KeyStoreUnavailable(
            "No usable OS keyring was found, so the kiosk cannot protect its database key. " + NO_KEYRING_HELP
        )
    backend = max(candidates, key=_priority)
    if backend_name(backend) not in TRUSTED_BACKENDS:
        raise KeyStoreUnavailable(
            f"The keyring backend {backend_name(backend)} is not an OS credential store (it may keep the "
            "database key in a plain file), so the kiosk refuses to use it. " + NO_KEYRING_HELP
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

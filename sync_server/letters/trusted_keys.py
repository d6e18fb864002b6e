"""The server public keys a verifier trusts: from a public-key file (what ``openreg id public-key``
writes, or the ``signing_key`` of GET /health), or from a server's own key folder."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.signing import SignatureError, key_id, private_key_from_bytes, public_key_b64, public_key_from_b64

SIGNING_KEY_FILE = "signing-key.ed25519"  # sync_server.keys writes it under DATA/keys
MAX_KEY_FILE_BYTES = 64 * 1024


class TrustedKeyError(ValueError):
    """A key file that cannot be used; the message names the file (and line)."""


def keys_from_file(path: Path) -> list[Ed25519PublicKey]:
    """Public keys from a text file: base64 of the 32 raw bytes, one per line; ``#`` lines and blank
    lines are ignored. Raises :class:`TrustedKeyError`."""
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise TrustedKeyError(f"{path} is too large for a key file (at most {MAX_KEY_FILE_BYTES} bytes)")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise TrustedKeyError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise TrustedKeyError(f"{path} is not a text file of public keys") from exc
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(public_key_from_b64(line))
        except SignatureError as exc:
            raise TrustedKeyError(f"{path} line {number}: {exc}") from exc
    if not keys:
        raise TrustedKeyError(f"{path} holds no public key")
    return keys


def key_from_server_dir(folder: Path) -> Ed25519PublicKey:
    """The public half of the signing key in a server's key folder (``DATA/keys``) or data folder."""
    for candidate in (folder / SIGNING_KEY_FILE, folder / "keys" / SIGNING_KEY_FILE):
        if candidate.is_file():
            try:
                with candidate.open("rb") as stream:
                    raw = stream.read(33)  # one byte more than a key: a longer file is not one
            except OSError as exc:
                raise TrustedKeyError(f"cannot read {candidate}: {exc.strerror or exc}") from exc
            if len(raw) != 32:
                raise TrustedKeyError(f"{candidate} is not a 32-byte Ed25519 key")
            try:
                return private_key_from_bytes(raw).public_key()
            except SignatureError as exc:
                raise TrustedKeyError(f"{candidate}: {exc}") from exc
    raise TrustedKeyError(f"no {SIGNING_KEY_FILE} in {folder} (give the server's DATA/keys folder)")


def public_key_file_text(key: Ed25519PublicKey) -> str:
    """The key file :func:`keys_from_file` reads, with a comment naming the key id."""
    return f"# OpenReg server signing key, key id {key_id(key)}\n{public_key_b64(key)}\n"

"""Which server addresses the kiosk may talk to, and what it trusts for TLS.

Passwords' hashes, supervisors' TOTP seeds and machine tokens travel in the changes feed and the auth
calls, so the kiosk speaks HTTPS to the server. Plain ``http://`` is accepted only to a loopback
address (the demo and tests run the server on the same machine) or with the explicit
``allow_insecure_http`` demo flag. A pinned CA (or the server's own self-signed certificate) replaces
the system trust store for every request when present.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from shared.files import atomic_write

MAX_URL_LENGTH = 500
MAX_CA_BYTES = 256 * 1024
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


class InsecureServerUrl(ValueError):
    """The server address is malformed or would send credentials in clear; the message says which."""


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """Return ``url`` without a trailing slash, or raise :class:`InsecureServerUrl`."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise InsecureServerUrl(f"server address must be 1-{MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise InsecureServerUrl(f"server address {text!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment or parts.username:
        raise InsecureServerUrl(f"server address {text!r} must look like https://host[:port][/path]")
    if parts.scheme == "http" and not _is_loopback(host) and not allow_insecure_http:
        raise InsecureServerUrl(
            f"refusing plain http:// to {host}: passwords, tokens and master data would travel "
            "unencrypted. Use https:// (plain http is allowed only to this machine, or with the "
            "allow_insecure_http demo setting)"
        )
    return text.rstrip("/")


def read_ca_pem(path: Path) -> bytes:
    """A PEM file of one or more certificates to pin (a CA, or the server's self-signed certificate)."""
    try:
        size = path.stat().st_size
        if size > MAX_CA_BYTES:
            raise InsecureServerUrl(f"{path} is larger than {MAX_CA_BYTES} bytes; not a CA certificate file")
        data = path.read_bytes()
    except OSError as exc:
        raise InsecureServerUrl(f"cannot read the CA file {path}: {exc.strerror or exc}") from exc
    if not data.isascii() or _PEM_CERT not in data:
        raise InsecureServerUrl(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    from cryptography import x509

    try:
        x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise InsecureServerUrl(f"{path} is not a readable PEM certificate file: {exc}") from exc
    return data


def write_ca_bundle(pem: bytes, path: Path) -> Path:
    """Materialise the pinned PEM (kept in the encrypted store) as the file ``requests`` verifies with;
    rewritten each time, so an edit on disk does not survive the next start."""
    atomic_write(path, pem)
    return path

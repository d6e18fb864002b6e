"""The signed UIN credential printed as a QR code on a resident's UIN letter, verifiable offline.

Text form (ASCII, fits a QR code in byte mode)::

    OR1:<base64url(payload)>.<base64url(signature)>        (no padding; at most 2,048 characters)

``payload`` is the canonical JSON (:func:`shared.canonical.canonical_json`) of exactly
``{"v": 1, "uin", "name", "issued_at": "YYYY-MM-DD", "kid"}``; ``kid`` is the
:func:`shared.signing.key_id` of the server's Ed25519 signing key (the key kiosks pin at enrolment).
The signature is Ed25519 over ``SIGNING_CONTEXT + payload``: the context prefix means no other message
the server signs with the same key (master-data pages, snapshots, key sets) can pass for a credential,
nor a credential for one of them.

Parsing is strict: size first, then prefix, alphabet, canonical base64, canonical JSON, the exact
field set and each field's form. Every failure is a :class:`CredentialError` subclass with a message
fit to show a person. Nothing here does I/O; it is safe to call from any thread.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.canonical import canonical_json
from shared.signing import SignatureError, key_id, public_key_from_b64, sign_b64, verify_b64

PREFIX = "OR1:"
VERSION = 1
MAX_CREDENTIAL_CHARS = 2048
MAX_NAME_CHARS = 200
SIGNING_CONTEXT = b"openreg/uin-credential/v1\x00"

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_UIN = re.compile(r"[0-9]{4,32}", re.ASCII)
_KID = re.compile(r"[0-9a-f]{16}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Explicit bidi embeddings, overrides and isolates could make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FIELDS = frozenset({"v", "uin", "name", "issued_at", "kid"})


class CredentialError(ValueError):
    """A credential that cannot be accepted; the message says why in plain words."""


class MalformedCredential(CredentialError):
    """Not a credential of this format (wrong prefix, too long, bad encoding, bad or missing field)."""


class UnknownSigningKey(CredentialError):
    """Signed with a key the verifier does not hold (``kid`` names it)."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"signed with key {kid}, which is not among the trusted server keys")
        self.kid = kid


class BadCredentialSignature(CredentialError):
    """The signature does not match the content: the credential was altered or forged."""


@dataclass(frozen=True)
class Credential:
    """What a credential states. Only :func:`verify_credential` returns one that is proven authentic."""

    uin: str
    name: str
    issued_at: dt.date
    kid: str
    version: int = VERSION

    def payload(self) -> dict[str, Any]:
        return {
            "v": self.version,
            "uin": self.uin,
            "name": self.name,
            "issued_at": self.issued_at.isoformat(),
            "kid": self.kid,
        }


def issue_credential(key: Ed25519PrivateKey, *, uin: str, name: str, issued_at: dt.date) -> str:
    """The QR text for ``uin`` and ``name`` (NFC-normalised, trimmed) signed with ``key``.
    Raises :class:`MalformedCredential` for values the format cannot carry."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    credential = Credential(uin=uin, name=name, issued_at=issued_at, kid=key_id(key))
    _check_fields(credential.payload())
    payload = canonical_json(credential.payload())
    signature = base64.b64decode(sign_b64(key, SIGNING_CONTEXT + payload))
    text = f"{PREFIX}{_b64url(payload)}.{_b64url(signature)}"
    if len(text) > MAX_CREDENTIAL_CHARS:
        raise MalformedCredential(f"the name is too long for a credential ({len(text)} characters)")
    return text


def parse_credential(text: str) -> tuple[Credential, bytes, bytes]:
    """Decode without checking the signature: (what it claims, the signed message, the signature).
    Use :func:`verify_credential` for anything that is trusted."""
    if len(text) > MAX_CREDENTIAL_CHARS + 64:  # before any other work; a little slack for whitespace
        raise MalformedCredential(
            f"too long for a UIN credential (more than {MAX_CREDENTIAL_CHARS} characters)"
        )
    text = text.strip(" \t\r\n")
    if len(text) > MAX_CREDENTIAL_CHARS:
        raise MalformedCredential(
            f"too long for a UIN credential (more than {MAX_CREDENTIAL_CHARS} characters)"
        )
    if not text.startswith(PREFIX):
        raise MalformedCredential(f"not an OpenReg UIN credential (it does not start with {PREFIX!r})")
    parts = text[len(PREFIX) :].split(".")
    if len(parts) != 2:
        raise MalformedCredential("a UIN credential has exactly two parts separated by one '.'")
    payload, signature = _from_b64url(parts[0], "content"), _from_b64url(parts[1], "signature")
    if len(signature) != 64:
        raise MalformedCredential("the signature is not 64 bytes (Ed25519)")
    fields = _json_object(payload)
    if canonical_json(fields) != payload:
        raise MalformedCredential("the content is not in canonical form")
    _check_fields(fields)
    credential = Credential(
        uin=fields["uin"],
        name=fields["name"],
        issued_at=dt.date.fromisoformat(fields["issued_at"]),
        kid=fields["kid"],
        version=fields["v"],
    )
    return credential, SIGNING_CONTEXT + payload, signature


def verify_credential(text: str, public_keys: Mapping[str, Ed25519PublicKey | str]) -> Credential:
    """The credential in ``text`` if it is well formed and signed by the key its ``kid`` names among
    ``public_keys`` (key id -> key object or base64 public key). Raises :class:`MalformedCredential`,
    :class:`UnknownSigningKey` or :class:`BadCredentialSignature`."""
    credential, message, signature = parse_credential(text)
    public = public_keys.get(credential.kid)
    if public is None:
        raise UnknownSigningKey(credential.kid)
    try:
        public = public_key_from_b64(public) if isinstance(public, str) else public
    except SignatureError as exc:
        raise CredentialError(f"the trusted key {credential.kid} is unusable: {exc}") from exc
    if key_id(public) != credential.kid:  # a mapping that files a key under another key's id
        raise UnknownSigningKey(credential.kid)
    try:
        verify_b64(public, message, base64.b64encode(signature).decode("ascii"))
    except SignatureError as exc:
        raise BadCredentialSignature(
            "the signature does not match: this credential was altered or not issued by that server"
        ) from exc
    return credential


def public_keys_by_id(keys: Iterable[Ed25519PublicKey | str]) -> dict[str, Ed25519PublicKey]:
    """``{key_id: key}`` for :func:`verify_credential`; base64 keys are decoded (SignatureError if bad)."""
    decoded = (public_key_from_b64(k) if isinstance(k, str) else k for k in keys)
    return {key_id(k): k for k in decoded}


def group_uin(uin: str) -> str:
    """The UIN as people read it: groups of four, e.g. ``1234 5678 90``."""
    return " ".join(uin[i : i + 4] for i in range(0, len(uin), 4))


def _check_fields(fields: dict[str, Any]) -> None:
    if set(fields) != _FIELDS:
        missing, extra = sorted(_FIELDS - set(fields)), sorted(set(fields) - _FIELDS)
        raise MalformedCredential(f"wrong fields (missing {missing}, unexpected {extra})")
    version = fields["v"]
    if type(version) is not int:
        raise MalformedCredential("the version is not a number")
    if version != VERSION:
        raise MalformedCredential(
            f"credential version {version} is not supported (this program reads {VERSION})"
        )
    uin, name, issued, kid = (fields[k] for k in ("uin", "name", "issued_at", "kid"))
    if not isinstance(uin, str) or not _UIN.fullmatch(uin):
        raise MalformedCredential("the UIN is not 4-32 digits")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise MalformedCredential("the key id is not 16 lowercase hex digits")
    if not isinstance(issued, str) or not _DATE.fullmatch(issued):
        raise MalformedCredential("the issue date is not YYYY-MM-DD")
    try:
        dt.date.fromisoformat(issued)
    except ValueError as exc:
        raise MalformedCredential(f"the issue date is not a real date: {issued}") from exc
    _check_name(name)


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
        raise MalformedCredential(f"the name is not text of 1-{MAX_NAME_CHARS} characters")
    if name != " ".join(name.split()) or unicodedata.normalize("NFC", name) != name:
        raise MalformedCredential("the name has extra spaces or is not in normal form (NFC)")
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in name):
        raise MalformedCredential("the name holds control or text-direction characters")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _from_b64url(text: str, what: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedCredential(f"the {what} is not base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedCredential(f"the {what} is not base64url text") from exc
    if _b64url(raw) != text:  # stray bits in the last character: one credential, one spelling
        raise MalformedCredential(f"the {what} is not canonical base64url")
    return raw


def _json_object(raw: bytes) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise MalformedCredential("the content repeats a field")
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise MalformedCredential(f"the content holds {name}, which is not JSON")

    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedCredential("the content is not UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise MalformedCredential("the content is not a JSON object")
    return value

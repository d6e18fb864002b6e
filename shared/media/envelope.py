"""Signing, verifying and sealing the documents on a stick.

A document is ``{"payload", "signature", "key_id"}`` with an Ed25519 signature over
``canonical_json(payload)``, as the server signs change pages. Each payload names its ``format``, so a
signature made for one kind of document never passes as another. The acknowledgement is also
encrypted (age) to the machine key: age takes an Ed25519 key as an ``ssh-ed25519`` recipient, so the
kiosk opens it with the key it already has and nobody else can read it.
"""

from __future__ import annotations

import json
from typing import TypeVar

import pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from shared.canonical import canonical_json
from shared.media.models import SignedDocument
from shared.signing import SignatureError, key_id, public_key_from_b64, sign_b64, verify_b64

M = TypeVar("M", bound=BaseModel)


class MediaDocumentError(ValueError):
    """A document on the stick is malformed, unsigned, wrongly signed or cannot be opened."""


def sign_document(key: Ed25519PrivateKey, payload: BaseModel) -> bytes:
    """The signed document's bytes (JSON, UTF-8) for ``payload``."""
    body = payload.model_dump(mode="json")
    document = {"payload": body, "signature": sign_b64(key, canonical_json(body)), "key_id": key_id(key)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def read_document(raw: bytes) -> SignedDocument:
    """Parse the envelope (no signature check yet): MediaDocumentError when it is not one."""
    try:
        return SignedDocument.model_validate_json(raw)
    except ValidationError as exc:
        raise MediaDocumentError(f"not a signed OpenReg document: {_first_error(exc)}") from exc


def verify_document(document: SignedDocument, public: Ed25519PublicKey | str, model: type[M]) -> M:
    """``model`` of the payload once the signature holds under ``public``; MediaDocumentError if not."""
    try:
        verify_b64(public, canonical_json(document.payload), document.signature)
    except SignatureError as exc:
        raise MediaDocumentError(f"the signature does not hold ({exc})") from exc
    try:
        return model.model_validate(document.payload)
    except ValidationError as exc:
        raise MediaDocumentError(f"the signed document is malformed: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', exc)}" if where else str(first.get("msg", exc))[:300]


def _ssh_public(public_b64: str) -> str:
    key = public_key_from_b64(public_b64)
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def seal_for_machine(data: bytes, machine_public_key: str) -> bytes:
    """``data`` encrypted (age) so that only the holder of the machine key (base64 Ed25519) opens it."""
    try:
        recipient = pyrage.ssh.Recipient.from_str(_ssh_public(machine_public_key))
    except (SignatureError, ValueError) as exc:
        raise MediaDocumentError(f"the machine key cannot receive encrypted data: {exc}") from exc
    return pyrage.encrypt(data, [recipient])


def open_as_machine(sealed: bytes, machine_key: Ed25519PrivateKey) -> bytes:
    """Decrypt what :func:`seal_for_machine` made for this machine; MediaDocumentError when it was made
    for another machine, or damaged or altered on the way."""
    pem = machine_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    identity = pyrage.ssh.Identity.from_buffer(pem)
    try:
        return pyrage.decrypt(sealed, [identity])
    except pyrage.DecryptError as exc:
        text = str(exc).lower()
        if "no matching keys" in text or "no identity matched" in text:
            raise MediaDocumentError("it was made for another kiosk") from exc
        raise MediaDocumentError(f"it is damaged or was altered ({exc})") from exc
    except (ValueError, TypeError) as exc:
        raise MediaDocumentError(f"it is not an encrypted OpenReg file ({exc})") from exc

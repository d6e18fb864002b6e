"""The inner container: entry names, JSON encodings, manifest and signature (docs/packet-format.md).

Entries are written in a fixed order with a fixed timestamp so the same contents and key always
give the same ZIP bytes; JSON files are canonical JSON and deflated, binary payloads are stored
(they are already-compressed images).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import asdict
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.canonical import canonical_json
from shared.packet.errors import InvalidContents
from shared.packet.meta import check_meta
from shared.packet.model import FORMAT, VERSION, BiometricRecord, Document, PacketContents
from shared.rid import RidError, parse_rid
from shared.signing import key_id, sign_b64

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CORE_ENTRIES = ("id.json", "meta.json", "exceptions.json", "audit.json")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Entry-name part: lower-case [a-z0-9-], at most 32 characters, so names fit the reader's pattern."""
    return _SLUG_RE.sub("-", text.lower()).strip("-")[:32].strip("-") or "item"


def document_entries(index: int, document: Document) -> tuple[str, str]:
    base = f"documents/{index:02d}-{slug(document.doc_type)}"
    return f"{base}.json", f"{base}.bin"


def biometric_entries(index: int, record: BiometricRecord) -> tuple[str, str]:
    base = f"biometrics/{index:02d}-{slug(record.modality)}-{slug(record.bio_subtype)}"
    return f"{base}.json", f"{base}.iso"


def iter_entries(contents: PacketContents) -> Iterator[tuple[str, bytes]]:
    """Every entry except the manifest and its signature, in container order."""
    yield "id.json", canonical_json(contents.demographics)
    yield "meta.json", canonical_json(contents.meta)
    yield "exceptions.json", canonical_json(contents.exceptions)
    yield "audit.json", canonical_json(contents.audit)
    for index, document in enumerate(contents.documents, start=1):
        meta_name, data_name = document_entries(index, document)
        described = {k: v for k, v in asdict(document).items() if k != "data"}
        yield meta_name, canonical_json({**described, "data_entry": data_name})
        yield data_name, document.data
    for index, record in enumerate(contents.biometrics, start=1):
        meta_name, data_name = biometric_entries(index, record)
        described = {k: v for k, v in asdict(record).items() if k != "data"}
        yield meta_name, canonical_json({**described, "data_entry": data_name})
        yield data_name, record.data


def check_contents(contents: PacketContents) -> None:
    """Refuse contents that could not make a valid packet, before anything is written."""
    try:
        parse_rid(contents.rid)
    except RidError as exc:
        raise InvalidContents(f"meta.rid is not a valid RID: {exc}") from exc
    check_meta(contents.meta)
    if not isinstance(contents.demographics, dict):
        raise InvalidContents("demographics must be a JSON object")
    for record in contents.biometrics:
        if not isinstance(record.quality, int) or not 0 <= record.quality <= 100:
            raise InvalidContents(f"{record.bio_subtype}: quality must be an integer 0..100")
        if not record.data and not record.exception:
            raise InvalidContents(f"{record.bio_subtype}: a captured record needs its image bytes")
    for item in [*contents.documents, *contents.biometrics]:
        if not isinstance(item.data, bytes):
            raise InvalidContents(f"{type(item).__name__} data must be bytes")
    described = [{k: v for k, v in asdict(i).items() if k != "data"} for i in contents.biometrics]
    try:
        canonical_json([contents.demographics, contents.meta, contents.exceptions, contents.audit, described])
    except (TypeError, ValueError) as exc:
        raise InvalidContents(f"contents are not JSON-serialisable: {exc}") from exc


def manifest_for(contents: PacketContents, digests: dict[str, dict[str, Any]]) -> bytes:
    return canonical_json({"format": FORMAT, "version": VERSION, "rid": contents.rid, "entries": digests})


def signature_for(manifest: bytes, machine_key: Ed25519PrivateKey) -> bytes:
    return canonical_json(
        {"alg": "Ed25519", "key_id": key_id(machine_key), "signature": sign_b64(machine_key, manifest)}
    )


def _zip_info(name: str, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


# Entries are hashed and written a slice at a time, so a reader on the other end of ``out`` (the age
# encryption in the builder) starts on an entry while the rest of it is still being hashed.
_SLICE = 1024 * 1024


def _write_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> dict[str, Any]:
    """Write one entry (same bytes as ``writestr``) and return its manifest record."""
    info = _zip_info(name, compress=name.endswith(".json"))
    info.file_size = len(data)
    digest = hashlib.sha256()
    view = memoryview(data)
    with archive.open(info, "w") as dest:
        for start in range(0, len(view), _SLICE):
            piece = view[start : start + _SLICE]
            digest.update(piece)
            dest.write(piece)
    return {"sha256": digest.hexdigest(), "size": len(data)}


def write_container(contents: PacketContents, *, machine_key: Ed25519PrivateKey, out: IO[bytes]) -> None:
    """Stream the ZIP into ``out`` (which need not be seekable): entries, manifest, signature."""
    digests: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for name, data in iter_entries(contents):
            digests[name] = _write_entry(archive, name, data)
        manifest = manifest_for(contents, digests)
        archive.writestr(_zip_info(MANIFEST, compress=True), manifest)
        archive.writestr(_zip_info(SIGNATURE, compress=True), signature_for(manifest, machine_key))

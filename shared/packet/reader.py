"""Open a sealed packet strictly: decrypt, check every entry against the signed manifest, then parse.

Nothing is returned unless every check passed; each failure raises the :mod:`errors` type naming it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from shared.packet.errors import (
    BadSignature,
    CompressionBomb,
    DecryptionFailed,
    ExtraEntry,
    HashMismatch,
    MalformedPacket,
    MissingEntry,
    OversizedEntry,
    PacketError,
    TruncatedPacket,
    UnknownVersion,
    UnsafePath,
)
from shared.packet.layout import CORE_ENTRIES, MANIFEST, SIGNATURE
from shared.packet.meta import MAX_META_BYTES, read_meta
from shared.packet.model import (
    FORMAT,
    VERSION,
    BiometricRecord,
    Document,
    Limits,
    OpenedPacket,
    PacketContents,
    sealed_size_limit,
)
from shared.signing import SignatureError, key_id, verify_b64

MachineKey = str | Callable[[dict[str, Any]], str]
_SAFE_NAME = re.compile(r"^(?:(?:documents|biometrics)/)?[a-z0-9][a-z0-9.-]{0,99}$")


def decrypt_packet(path: Path, *, identities: list[str], limits: Limits = Limits()) -> bytes:
    """The inner container bytes, or :class:`DecryptionFailed` / :class:`TruncatedPacket`."""
    path = Path(path)
    size = path.stat().st_size
    if size > sealed_size_limit(limits.max_packet_bytes):
        raise OversizedEntry(f"sealed file is {size} bytes, over the {limits.max_packet_bytes}-byte limit")
    try:
        parsed = [x25519.Identity.from_str(text.strip()) for text in identities]
    except Exception as exc:
        raise DecryptionFailed(f"an identity is not an age X25519 secret key: {exc}") from exc
    if not parsed:
        raise DecryptionFailed("no identity given to decrypt the packet")
    plaintext = io.BytesIO()
    try:
        with path.open("rb") as handle:
            pyrage.decrypt_io(handle, plaintext, parsed)
    except pyrage.DecryptError as exc:
        if "Incomplete" in str(exc):
            raise TruncatedPacket(f"the age header is cut short: {exc}") from exc
        raise DecryptionFailed(f"cannot decrypt the packet with the given identity: {exc}") from exc
    except OSError as exc:
        raise TruncatedPacket(f"the encrypted payload is truncated or corrupted ({exc})") from exc
    return plaintext.getvalue()


def open_packet(
    path: Path, *, identities: list[str], machine_public_key: MachineKey, limits: Limits = Limits()
) -> OpenedPacket:
    """Decrypt and verify ``path``; ``machine_public_key`` is a key or a lookup from the packet's meta."""
    return read_container(
        decrypt_packet(path, identities=identities, limits=limits),
        machine_public_key=machine_public_key,
        limits=limits,
    )


def _load_json(name: str, data: bytes, limits: Limits) -> Any:
    if len(data) > limits.max_json_bytes:
        raise OversizedEntry(f"{name} is {len(data)} bytes, over the JSON limit")

    def refuse_constant(value: str) -> None:
        raise ValueError(f"non-finite number {value}")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPacket(f"{name} is not valid UTF-8 JSON: {exc}") from exc
    except RecursionError as exc:  # a permanent refusal, not an error processing would retry
        raise MalformedPacket(f"{name} nests JSON too deeply") from exc


def _check_names(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise OversizedEntry(f"{len(infos)} entries, over the limit of {limits.max_entries}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise ExtraEntry(f"duplicate entry {name!r}")
        seen.add(name)
        if ".." in name or name.startswith("/") or "\\" in name or not _SAFE_NAME.match(name):
            raise UnsafePath(f"entry name {name!r} is not allowed in a packet")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise MalformedPacket(f"{name}: compression method {info.compress_type} is not allowed")
        if info.flag_bits & 0x1:
            raise MalformedPacket(f"{name}: ZIP-level encryption is not allowed")
        if info.file_size > limits.max_entry_bytes:
            raise OversizedEntry(f"{name} declares {info.file_size} bytes, over the entry limit")
        ratio = info.file_size / max(info.compress_size, 1)
        if (
            info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > 1024 * 1024
            and ratio > limits.max_ratio
        ):
            raise CompressionBomb(f"{name} expands {ratio:.0f}x, over the limit of {limits.max_ratio}x")
        total += info.file_size
    if total > limits.max_packet_bytes:
        raise OversizedEntry(f"entries total {total} bytes, over the packet limit")


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except zipfile.BadZipFile as exc:
        raise MalformedPacket(f"{info.filename}: {exc}") from exc
    except (EOFError, OSError) as exc:
        raise TruncatedPacket(f"{info.filename} is cut short: {exc}") from exc
    if len(data) != info.file_size:
        raise CompressionBomb(f"{info.filename} does not decompress to its declared size")
    return data


def _verified_entries(archive: zipfile.ZipFile, limits: Limits, machine_public_key: MachineKey):
    infos = archive.infolist()
    _check_names(infos, limits)
    names = {info.filename: info for info in infos}
    for required in (MANIFEST, SIGNATURE, "meta.json"):
        if required not in names:
            raise MissingEntry(f"the packet has no {required}")
    manifest_bytes = _read_entry(archive, names[MANIFEST])
    manifest = _load_json(MANIFEST, manifest_bytes, limits)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UnknownVersion(f"not an {FORMAT} manifest")
    if manifest.get("version") != VERSION:
        raise UnknownVersion(
            f"packet version {manifest.get('version')!r} is not supported (this reader: {VERSION})"
        )
    listed = manifest.get("entries")
    if not isinstance(listed, dict):
        raise MalformedPacket("manifest.entries must be an object")
    present = set(names) - {MANIFEST, SIGNATURE}
    for name in sorted(set(CORE_ENTRIES) | set(listed)):
        if name not in present:
            raise MissingEntry(f"{name} is listed in the manifest or required but absent")
    for name in sorted(present - set(listed)):
        raise ExtraEntry(f"{name} is in the container but not in the manifest")

    # Hashes first: the meta used to look up the machine key must itself match the manifest.
    entries: dict[str, bytes] = {}
    for name in sorted(listed):
        expected = listed[name]
        data = _read_entry(archive, names[name])
        if not isinstance(expected, dict) or expected.get("size") != len(data):
            raise HashMismatch(f"{name}: size differs from the manifest")
        if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            raise HashMismatch(f"{name}: SHA-256 differs from the manifest")
        entries[name] = data
    meta = _load_json("meta.json", entries["meta.json"], limits)
    if not isinstance(meta, dict):
        raise MalformedPacket("meta.json must be an object")
    signature = _load_json(SIGNATURE, _read_entry(archive, names[SIGNATURE]), limits)
    if not isinstance(signature, dict) or signature.get("alg") != "Ed25519":
        raise BadSignature("manifest.sig is not an Ed25519 signature record")
    public = machine_public_key(meta) if callable(machine_public_key) else machine_public_key
    try:
        verify_b64(public, manifest_bytes, str(signature.get("signature", "")))
    except SignatureError as exc:
        raise BadSignature(f"the manifest is not signed by this machine's key: {exc}") from exc

    if manifest.get("rid") != meta.get("rid"):
        raise MalformedPacket("manifest.rid and meta.rid differ")
    if len(entries["meta.json"]) > MAX_META_BYTES:
        raise OversizedEntry(f"meta.json is {len(entries['meta.json'])} bytes, over {MAX_META_BYTES}")
    return manifest, entries, key_id(public), read_meta(meta)


def _pairs(entries: dict[str, bytes], folder: str, data_suffix: str, limits: Limits) -> list[dict[str, Any]]:
    described = sorted(n for n in entries if n.startswith(f"{folder}/") and n.endswith(".json"))
    used: set[str] = set()
    records = []
    for name in described:
        record = _load_json(name, entries[name], limits)
        expected_data = name[: -len(".json")] + data_suffix
        if not isinstance(record, dict) or record.get("data_entry") != expected_data:
            raise MalformedPacket(f"{name} must be an object naming its data entry {expected_data}")
        if expected_data not in entries:
            raise MissingEntry(f"{expected_data} (described by {name}) is absent")
        used.update((name, expected_data))
        records.append({**record, "data": entries[expected_data]})
    for name in entries:
        if name.startswith(f"{folder}/") and name not in used:
            raise ExtraEntry(f"{name} is not described by a {folder} record")
    return records


_FIELD_TYPES: dict[str, type] = {
    "doc_type": str,
    "content_type": str,
    "category": str,
    "filename": str,
    "modality": str,
    "bio_subtype": str,
    "format": str,
    "quality": int,
    "device": dict,
    "exception": bool,
    "captured_at": str,
    "retries": int,
}


def _build(record: dict[str, Any], cls: type, name: str):
    fields = {k: v for k, v in record.items() if k != "data_entry"}
    for key, value in fields.items():
        expected = _FIELD_TYPES.get(key)
        # bool is an int subclass in Python but not a quality score or a retry count.
        if expected and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
            raise MalformedPacket(f"{name} record field {key!r} must be a JSON {expected.__name__}")
    if "quality" in fields and not 0 <= fields["quality"] <= 100:
        raise MalformedPacket(f"{name} record quality {fields['quality']} is outside 0..100")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise MalformedPacket(f"{name} record has unexpected or missing fields: {exc}") from exc


def read_container(data: bytes, *, machine_public_key: MachineKey, limits: Limits = Limits()) -> OpenedPacket:
    """Verify and parse decrypted container bytes (the layer below :func:`open_packet`)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise TruncatedPacket(f"the container is not a complete ZIP: {exc}") from exc
    with archive:
        manifest, entries, machine_kid, meta = _verified_entries(archive, limits, machine_public_key)
    parts = {name: _load_json(name, entries[name], limits) for name in CORE_ENTRIES}
    for name, kind in (
        ("id.json", dict),
        ("meta.json", dict),
        ("exceptions.json", list),
        ("audit.json", list),
    ):
        if not isinstance(parts[name], kind):
            raise MalformedPacket(f"{name} must be a JSON {kind.__name__}")
    documents = [_build(r, Document, "document") for r in _pairs(entries, "documents", ".bin", limits)]
    biometrics = [
        _build(r, BiometricRecord, "biometric") for r in _pairs(entries, "biometrics", ".iso", limits)
    ]
    contents = PacketContents(
        demographics=parts["id.json"],
        meta=parts["meta.json"],
        documents=documents,
        biometrics=biometrics,
        exceptions=parts["exceptions.json"],
        audit=parts["audit.json"],
    )
    return OpenedPacket(contents=contents, manifest=manifest, machine_key_id=machine_kid, meta=meta)


__all__ = ["MachineKey", "PacketError", "decrypt_packet", "open_packet", "read_container"]

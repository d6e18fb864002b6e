"""Every kind of damage or forgery is refused with its own typed error, and nothing partial comes back."""

import hashlib
import io
import random
import zipfile

import pyrage
import pytest
from pyrage import x25519

from shared.canonical import canonical_json
from shared.packet import (
    BadSignature,
    CompressionBomb,
    ExtraEntry,
    HashMismatch,
    Limits,
    MalformedPacket,
    MissingEntry,
    OversizedEntry,
    PacketError,
    TruncatedPacket,
    UnknownVersion,
    UnsafePath,
    decrypt_packet,
    open_packet,
    seal_packet,
)
from shared.signing import generate_private_key, sign_b64
from tests.unit.shared.packet.conftest import make_contents


@pytest.fixture
def sealed(keys, tmp_path):
    return seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path
    )


def _entries(keys, sealed) -> dict[str, bytes]:
    plain = decrypt_packet(sealed.path, identities=keys.identities)
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _reseal(keys, tmp_path, entries: dict[str, bytes], *, compress=zipfile.ZIP_DEFLATED):
    """Write ``entries`` as a fresh, correctly age-encrypted container (an attacker with the recipient)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    path = tmp_path / "forged.age"
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [x25519.Recipient.from_str(keys.recipient)]))
    return path


def _open(keys, path, **kwargs):
    return open_packet(path, identities=keys.identities, machine_public_key=keys.machine_public, **kwargs)


def _signed(keys, manifest: dict, machine=None) -> dict[str, bytes]:
    body = canonical_json(manifest)
    signer = machine or keys.machine
    return {
        "manifest.json": body,
        "manifest.sig": canonical_json(
            {"alg": "Ed25519", "key_id": "x", "signature": sign_b64(signer, body)}
        ),
    }


def test_flipping_any_byte_of_the_sealed_file_is_refused(keys, sealed, tmp_path):
    original = sealed.path.read_bytes()
    rng = random.Random(7)
    positions = sorted(
        {0, 5, 20, 60, 100, len(original) - 1} | {rng.randrange(len(original)) for _ in range(40)}
    )
    for position in positions:
        damaged = bytearray(original)
        damaged[position] ^= 0x01
        path = tmp_path / "damaged.age"
        path.write_bytes(bytes(damaged))
        with pytest.raises(PacketError):
            _open(keys, path)


def test_truncated_file_is_refused(keys, sealed, tmp_path):
    original = sealed.path.read_bytes()
    for cut in (10, 100, len(original) // 2, len(original) - 1):
        path = tmp_path / "cut.age"
        path.write_bytes(original[:cut])
        with pytest.raises((TruncatedPacket, PacketError)):
            _open(keys, path)
    path.write_bytes(original[: len(original) // 2])
    with pytest.raises(TruncatedPacket):
        _open(keys, path)


@pytest.mark.parametrize(
    "victim", ["id.json", "meta.json", "documents/01-poa.bin", "biometrics/01-finger-left-thumb.iso"]
)
def test_altering_an_inner_entry_then_resealing_is_refused(keys, sealed, tmp_path, victim):
    entries = _entries(keys, sealed)
    entries[victim] = entries[victim][:-1] + bytes([entries[victim][-1] ^ 0xFF])
    with pytest.raises(HashMismatch, match=victim):
        _open(keys, _reseal(keys, tmp_path, entries))


def test_rewritten_manifest_without_the_machine_key_is_refused(keys, sealed, tmp_path):
    entries = _entries(keys, sealed)
    entries["id.json"] = canonical_json({"fullName": "Someone Else"})
    manifest = canonical_json_load(entries["manifest.json"])
    manifest["entries"]["id.json"]["sha256"] = __import__("hashlib").sha256(entries["id.json"]).hexdigest()
    manifest["entries"]["id.json"]["size"] = len(entries["id.json"])
    entries["manifest.json"] = canonical_json(manifest)
    with pytest.raises(BadSignature):
        _open(keys, _reseal(keys, tmp_path, entries))
    entries.update(_signed(keys, manifest, machine=generate_private_key()))
    with pytest.raises(BadSignature):
        _open(keys, _reseal(keys, tmp_path, entries))


def canonical_json_load(data: bytes) -> dict:
    import json

    return json.loads(data)


def test_unknown_version_is_refused_even_when_signed(keys, sealed, tmp_path):
    entries = _entries(keys, sealed)
    manifest = canonical_json_load(entries["manifest.json"])
    manifest["version"] = 2
    entries.update(_signed(keys, manifest))
    with pytest.raises(UnknownVersion, match="version 2"):
        _open(keys, _reseal(keys, tmp_path, entries))


def test_missing_and_extra_entries_are_refused(keys, sealed, tmp_path):
    entries = _entries(keys, sealed)
    missing = {k: v for k, v in entries.items() if k != "audit.json"}
    with pytest.raises(MissingEntry, match="audit.json"):
        _open(keys, _reseal(keys, tmp_path, missing))
    extra = {**entries, "documents/99-evil.bin": b"x"}
    with pytest.raises(ExtraEntry, match="99-evil"):
        _open(keys, _reseal(keys, tmp_path, extra))
    no_manifest = {k: v for k, v in entries.items() if k != "manifest.json"}
    with pytest.raises(MissingEntry, match="manifest.json"):
        _open(keys, _reseal(keys, tmp_path, no_manifest))


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "/abs.json", "documents\\x.bin", "documents/../../x", "Sub/X.json"]
)
def test_path_traversal_names_are_refused(keys, sealed, tmp_path, name):
    entries = {**_entries(keys, sealed), name: b"{}"}
    with pytest.raises(UnsafePath):
        _open(keys, _reseal(keys, tmp_path, entries))


def test_duplicate_entry_names_are_refused(keys, sealed, tmp_path):
    entries = _entries(keys, sealed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning):
            archive.writestr("id.json", b"{}")
    path = tmp_path / "dup.age"
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [x25519.Recipient.from_str(keys.recipient)]))
    with pytest.raises(ExtraEntry, match="duplicate"):
        _open(keys, path)


def test_compression_bomb_and_oversized_entries_are_refused(keys, sealed, tmp_path):
    entries = {**_entries(keys, sealed), "documents/02-bomb.bin": b"\0" * (20 * 1024 * 1024)}
    path = _reseal(keys, tmp_path, entries)
    with pytest.raises(CompressionBomb, match="02-bomb"):
        _open(keys, path)
    with pytest.raises(OversizedEntry):
        _open(keys, path, limits=Limits(max_entry_bytes=1024 * 1024))


def test_not_a_zip_inside_is_refused(keys, tmp_path):
    path = tmp_path / "junk.age"
    path.write_bytes(pyrage.encrypt(b"not a zip at all", [x25519.Recipient.from_str(keys.recipient)]))
    with pytest.raises(TruncatedPacket, match="ZIP"):
        _open(keys, path)


def test_wrong_machine_key_lookup_is_refused(keys, sealed):
    seen = {}

    def lookup(meta):
        seen.update(meta)
        return keys.machine_public if meta["machine_id"] == "00099" else "AAAA"

    with pytest.raises(BadSignature):
        open_packet(sealed.path, identities=keys.identities, machine_public_key=lookup)
    assert seen["rid"] == sealed.rid


def test_invalid_json_inside_is_refused(keys, sealed, tmp_path):
    entries = _entries(keys, sealed)
    manifest = canonical_json_load(entries["manifest.json"])
    entries["exceptions.json"] = b"[NaN]"
    manifest["entries"]["exceptions.json"] = {
        "sha256": __import__("hashlib").sha256(b"[NaN]").hexdigest(),
        "size": 5,
    }
    entries.update(_signed(keys, manifest))
    with pytest.raises(MalformedPacket, match="exceptions.json"):
        _open(keys, _reseal(keys, tmp_path, entries))


def test_altering_any_inner_entry_then_resealing_is_refused(keys, sealed, tmp_path):
    """Every entry, manifest and signature included: one changed byte, a valid age layer, refused."""
    entries = _entries(keys, sealed)
    for victim in entries:
        altered = dict(entries)
        data = altered[victim] or b"\0"
        altered[victim] = data[:-1] + bytes([data[-1] ^ 0x01])
        with pytest.raises(PacketError):
            _open(keys, _reseal(keys, tmp_path, altered))


@pytest.mark.parametrize(
    ("field", "value"), [("quality", "87"), ("quality", 101), ("device", []), ("exception", 1)]
)
def test_signed_record_with_wrong_field_types_is_refused(keys, sealed, tmp_path, field, value):
    import hashlib
    import json

    entries = _entries(keys, sealed)
    name = "biometrics/01-finger-left-thumb.json"
    record = json.loads(entries[name])
    record[field] = value
    entries[name] = canonical_json(record)
    manifest = canonical_json_load(entries["manifest.json"])
    manifest["entries"][name] = {
        "sha256": hashlib.sha256(entries[name]).hexdigest(),
        "size": len(entries[name]),
    }
    entries.update(_signed(keys, manifest))
    with pytest.raises(MalformedPacket, match=field):
        _open(keys, _reseal(keys, tmp_path, entries))


def _relisted(entries: dict[str, bytes], manifest: dict, name: str, data: bytes) -> None:
    """Put ``data`` as entry ``name`` and list its true hash and size in ``manifest``."""
    entries[name] = data
    manifest["entries"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


@pytest.mark.parametrize(
    ("forge", "error", "message"),
    [
        ("signature_of_another_kind", BadSignature, "manifest.sig is not an Ed25519 signature record"),
        ("signature_a_list", BadSignature, "manifest.sig is not an Ed25519 signature record"),
        ("signature_missing_its_value", BadSignature, "the manifest is not signed by this machine's key: "),
        ("entries_a_list", MalformedPacket, "manifest.entries must be an object"),
        ("manifest_a_list", UnknownVersion, "not an "),
        ("meta_a_list", MalformedPacket, "meta.json must be an object"),
        ("rid_of_another_packet", MalformedPacket, "manifest.rid and meta.rid differ"),
    ],
)
def test_each_forged_record_is_refused_saying_what_is_wrong(keys, sealed, tmp_path, forge, error, message):
    entries = _entries(keys, sealed)
    manifest = canonical_json_load(entries["manifest.json"])
    if forge == "entries_a_list":
        manifest["entries"] = []
    elif forge == "meta_a_list":
        _relisted(entries, manifest, "meta.json", canonical_json([manifest["rid"]]))
    elif forge == "rid_of_another_packet":
        manifest["rid"] = "1" * 29
    entries.update(_signed(keys, manifest))
    if forge == "manifest_a_list":
        entries["manifest.json"] = canonical_json([manifest])
    elif forge == "signature_of_another_kind":
        entries["manifest.sig"] = canonical_json({"alg": "RS256", "signature": "AAAA"})
    elif forge == "signature_a_list":
        entries["manifest.sig"] = canonical_json(["Ed25519"])
    elif forge == "signature_missing_its_value":
        entries["manifest.sig"] = canonical_json({"alg": "Ed25519", "key_id": "x"})
    with pytest.raises(error) as refused:
        _open(keys, _reseal(keys, tmp_path, entries))
    assert str(refused.value).startswith(message), str(refused.value)

import hashlib
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.packet import (
    BiometricRecord,
    DecryptionFailed,
    Document,
    InvalidContents,
    PacketContents,
    builder,
    generate_identity_file,
    load_identities,
    open_packet,
    recipient_key_id,
    seal_packet,
)
from shared.packet.builder import STALE_PARTIAL_SECONDS
from tests.unit.shared.packet.conftest import Keys, make_contents


def test_round_trip_returns_exactly_what_was_sealed(keys, tmp_path):
    contents = make_contents()
    sealed = seal_packet(
        contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out"
    )
    assert sealed.path.name == f"{contents.rid}.age" and sealed.size == sealed.path.stat().st_size
    opened = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    got = opened.contents
    assert got.demographics == contents.demographics
    assert got.documents == contents.documents and got.biometrics == contents.biometrics
    assert got.exceptions == contents.exceptions and got.audit == contents.audit
    assert got.meta["rid"] == contents.rid and got.meta["recipient_key_id"] == recipient_key_id(
        keys.recipient
    )
    assert opened.machine_key_id == got.meta["machine_key_id"]
    assert stat.S_IMODE(sealed.path.stat().st_mode) == 0o600


def test_the_reader_gives_each_payloads_digest_as_the_signed_manifest_lists_it(keys, tmp_path):
    contents = make_contents()
    sealed = seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    opened = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    listed = {entry["sha256"] for entry in opened.manifest["entries"].values()}
    for records, digests in (
        (opened.contents.documents, opened.document_sha256),
        (opened.contents.biometrics, opened.biometric_sha256),
    ):
        assert len(records) == len(digests) > 0
        assert list(digests) == [hashlib.sha256(r.data).hexdigest() for r in records]
        assert set(digests) <= listed


def test_escrow_recipient_can_also_open(keys, tmp_path):
    escrow_recipient = generate_identity_file(tmp_path / "escrow.key")
    sealed = seal_packet(
        make_contents(),
        machine_key=keys.machine,
        recipients=[keys.recipient, escrow_recipient],
        out_dir=tmp_path,
    )
    opened = open_packet(
        sealed.path,
        identities=load_identities(tmp_path / "escrow.key"),
        machine_public_key=keys.machine_public,
    )
    assert opened.contents.meta["recipient_key_ids"][1] == recipient_key_id(escrow_recipient)


def test_the_kiosk_cannot_read_its_own_packet_back(keys, tmp_path):
    sealed = seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out"
    )
    other = Keys(tmp_path / "kiosk")
    with pytest.raises(DecryptionFailed, match="decrypt"):
        open_packet(sealed.path, identities=other.identities, machine_public_key=keys.machine_public)


def test_existing_packet_is_never_overwritten(keys, tmp_path):
    contents = make_contents()
    sealed = seal_packet(
        contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out"
    )
    before = sealed.path.read_bytes()
    with pytest.raises(InvalidContents, match="already exists"):
        seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out")
    assert sealed.path.read_bytes() == before
    assert [p.name for p in (tmp_path / "out").iterdir()] == [sealed.path.name]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: PacketContents(demographics={}, meta={"rid": "123"}), "valid RID"),
        (
            lambda c: PacketContents(
                demographics={},
                meta=c.meta,
                biometrics=[BiometricRecord("finger", "Left Thumb", "ISO", 101, {}, b"x")],
            ),
            "quality",
        ),
        (
            lambda c: PacketContents(
                demographics={}, meta=c.meta, biometrics=[BiometricRecord("iris", "Left", "ISO", 50, {}, b"")]
            ),
            "image bytes",
        ),
        (lambda c: PacketContents(demographics={"x": float("nan")}, meta=c.meta), "JSON"),
    ],
)
def test_invalid_contents_refused_before_writing(keys, tmp_path, change, message):
    with pytest.raises(InvalidContents, match=message):
        seal_packet(
            change(make_contents()),
            machine_key=keys.machine,
            recipients=[keys.recipient],
            out_dir=tmp_path / "out",
        )
    assert not any((tmp_path / "out").glob("*"))


def test_recipients_are_checked(keys, tmp_path):
    with pytest.raises(InvalidContents, match="at least one"):
        seal_packet(make_contents(), machine_key=keys.machine, recipients=[], out_dir=tmp_path / "out")
    with pytest.raises(InvalidContents, match="not an age X25519 recipient"):
        seal_packet(
            make_contents(), machine_key=keys.machine, recipients=["age1nope"], out_dir=tmp_path / "out"
        )


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    demographics=st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=6),
    documents=st.lists(
        st.builds(
            Document,
            doc_type=st.text(max_size=60),
            content_type=st.sampled_from(["image/png", "application/pdf"]),
            data=st.binary(max_size=3000),
        ),
        max_size=3,
    ),
    biometrics=st.lists(
        st.builds(
            BiometricRecord,
            modality=st.one_of(st.sampled_from(["finger", "iris", "face"]), st.text(max_size=60)),
            bio_subtype=st.text(max_size=60),
            format=st.just("ISO19794"),
            quality=st.integers(0, 100),
            device=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            data=st.binary(min_size=1, max_size=3000),
            retries=st.integers(0, 5),
        ),
        max_size=4,
    ),
    audit=st.lists(st.dictionaries(st.text(max_size=8), json_scalars, max_size=3), max_size=3),
)
def test_property_any_contents_round_trip(tmp_path_factory, demographics, documents, biometrics, audit):
    keys = Keys(tmp_path_factory.mktemp("k"))
    base = make_contents()
    contents = PacketContents(
        demographics=demographics, meta=base.meta, documents=documents, biometrics=biometrics, audit=audit
    )
    out = tmp_path_factory.mktemp("out")
    sealed = seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=out)
    got = open_packet(
        sealed.path, identities=keys.identities, machine_public_key=keys.machine_public
    ).contents
    assert (got.demographics, got.documents, got.biometrics, got.audit) == (
        demographics,
        documents,
        biometrics,
        audit,
    )


def test_outer_check_needs_no_key_and_catches_a_changed_or_cut_file(keys, tmp_path):
    from shared.files import sha256_file
    from shared.packet import HashMismatch, TruncatedPacket, check_sealed_file

    sealed = seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path
    )
    assert sha256_file(sealed.path) == (sealed.sha256, sealed.size)
    check_sealed_file(sealed.path, sha256=sealed.sha256, size=sealed.size)
    data = bytearray(sealed.path.read_bytes())
    data[100] ^= 1
    sealed.path.write_bytes(bytes(data))
    with pytest.raises(HashMismatch):
        check_sealed_file(sealed.path, sha256=sealed.sha256, size=sealed.size)
    sealed.path.write_bytes(bytes(data[:-1]))
    with pytest.raises(TruncatedPacket):
        check_sealed_file(sealed.path, sha256=sealed.sha256, size=sealed.size)


def test_next_build_clears_a_dead_builders_stale_temp_file_but_not_a_live_one(keys, tmp_path):
    import os
    import time

    stale, live = tmp_path / ".tmp-10001000070000120261122093000-dead", tmp_path / ".tmp-live"
    stale.write_bytes(b"age-encryption.org/v1\n-> X25519 half")
    live.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    seal_packet(make_contents(2), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    assert not stale.exists() and live.exists()
    # The folder is looked at again only once a temp file could have turned stale since.
    stale.write_bytes(b"age-encryption.org/v1\n-> X25519 half")
    os.utime(stale, (old, old))
    seal_packet(make_contents(3), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    assert stale.exists()
    builder._last_sweep[str(tmp_path)] -= STALE_PARTIAL_SECONDS
    seal_packet(make_contents(4), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    assert not stale.exists() and live.exists()

import hashlib
import os
import stat
import threading

import pytest
from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore import tables
from sync_server.idstore.data_key import DataKeyError, DataKeyring
from sync_server.idstore.store import BlobIn, DuplicateIdentity, IdentityNotFound, IdStore
from sync_server.idstore.uin import check_uin

FINGER = b"FIR\x00" + os.urandom(2000)


@pytest.fixture
def store(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'id.db'}")
    create_backend_tables(engine)
    return IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data"))


def write(store, rid, key="k1", uin=None):
    uin = uin or store.issue_uin(rid=rid)
    store.write_identity(
        uin=uin,
        rid=rid,
        demographics={"fullName": "Ana Lee"},
        dedupe_key=key,
        center_id="10001",
        blobs_in=[
            BlobIn("document", "poa.pdf", "application/pdf", b"%PDF-1.4 proof"),
            BlobIn("biometric", "Left Thumb", "application/octet-stream", FINGER, {"quality": 80}),
        ],
    )
    return uin


def test_data_key_file_is_private_and_refused_when_readable(tmp_path):
    ring = DataKeyring(tmp_path)
    key = ring.current
    path = tmp_path / "keys" / f"data-key-{key.key_id}.bin"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DataKeyring(tmp_path).current.key_id == key.key_id  # reloaded, not regenerated
    path.chmod(0o644)
    with pytest.raises(DataKeyError):
        DataKeyring(tmp_path)


def test_blobs_are_encrypted_at_rest_and_read_back_with_audit(store):
    uin = write(store, "R1")
    with store.engine.connect() as conn:
        stored = conn.execute(select(tables.blobs.c.ciphertext)).scalars().all()
    assert len(stored) == 2 and all(b"%PDF" not in c and FINGER[:40] not in c for c in stored)
    identity = store.get_by_uin(uin, actor="admin1", purpose="support ticket 7")
    assert identity.rid == "R1" and identity.blobs[1].data == FINGER
    assert identity.blobs[1].attributes == {"quality": 80}
    store.get_by_rid("R1", actor="admin2", purpose="audit")
    assert [(r["actor"], r["purpose"]) for r in store.read_audit(uin)] == [
        ("admin1", "support ticket 7"),
        ("admin2", "audit"),
    ]
    with pytest.raises(IdentityNotFound):
        store.get_by_uin("0000000000", actor="a", purpose="p")


def test_a_blob_keeps_the_digest_its_caller_computed_or_gets_one(store):
    known = hashlib.sha256(b"photo").hexdigest()
    uin = store.issue_uin(rid="R9")
    store.write_identity(
        uin=uin,
        rid="R9",
        demographics={"fullName": "Ana Lee"},
        dedupe_key="k9",
        center_id="10001",
        blobs_in=[
            BlobIn("document", "photo.jpg", "image/jpeg", b"photo", sha256=known),
            BlobIn("biometric", "Left Thumb", "application/octet-stream", FINGER),
        ],
    )
    with store.engine.connect() as conn:
        digests = dict(conn.execute(select(tables.blobs.c.name, tables.blobs.c.sha256)).all())
    assert digests == {"photo.jpg": known, "Left Thumb": hashlib.sha256(FINGER).hexdigest()}


def test_key_rotation_keeps_old_blobs_readable(store):
    old = write(store, "R1")
    store.keyring.rotate()
    new = write(store, "R2", key="k2")
    assert store.get_by_uin(old, actor="a", purpose="p").blobs[0].data.startswith(b"%PDF")
    assert store.get_by_uin(new, actor="a", purpose="p").blobs[0].data.startswith(b"%PDF")


def test_tampered_ciphertext_does_not_decrypt(store):
    uin = write(store, "R1")
    with store.engine.begin() as conn:
        row = conn.execute(select(tables.blobs.c.id, tables.blobs.c.ciphertext)).first()
        flipped = bytearray(row.ciphertext)
        flipped[20] ^= 1
        conn.execute(
            tables.blobs.update().where(tables.blobs.c.id == row.id).values(ciphertext=bytes(flipped))
        )
    with pytest.raises(DataKeyError):
        store.get_by_uin(uin, actor="a", purpose="p")


def test_uin_is_idempotent_per_rid_and_never_reused(store):
    first = store.issue_uin(rid="R1")
    assert store.issue_uin(rid="R1") == first and check_uin(first)
    numbers = iter([first, first, "5000000008"])
    store.new_uin = lambda: next(numbers)  # a collision with an issued number is retried
    assert store.issue_uin(rid="R2") == "5000000008"


def test_write_is_idempotent_and_duplicates_are_refused(store):
    uin = write(store, "R1")
    write(store, "R1", uin=uin)  # retried after a crash: no second identity
    with pytest.raises(DuplicateIdentity) as err:
        write(store, "R2")
    assert err.value.uin == uin


def test_concurrent_issue_for_one_rid_yields_one_uin(store):
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.issue_uin(rid="R9"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1

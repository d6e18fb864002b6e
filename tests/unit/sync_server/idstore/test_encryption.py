"""Demographics at rest: ciphertext and keyed hashes only, read back from the raw table (real SQLite)."""

import hashlib

import pytest
from sqlalchemy import create_engine, select, update

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore import tables
from sync_server.idstore.data_key import DataKeyError, DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.processing.dedupe import DedupeConfig, blocking_text, dedupe_key

PERSON = {
    "fullName": [{"language": "eng", "value": "Amina Diallo"}],
    "dateOfBirth": "1990-04-03",
    "city": "CAP01",
    "phone": "+221770000001",
}
CONFIG = DedupeConfig()


def make_store(tmp_path, name="id"):
    engine = create_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    create_backend_tables(engine)
    return IdStore(engine=engine, keyring=DataKeyring(tmp_path / f"{name}-data"))


def write(store, rid, person):
    uin = store.issue_uin(rid=rid)
    store.write_identity(
        uin=uin,
        rid=rid,
        demographics=person,
        dedupe_key=dedupe_key(person, config=CONFIG),
        blocking_text=blocking_text(person, config=CONFIG),
        center_id="10001",
        blobs_in=[],
    )
    return uin


def raw_row_text(store) -> str:
    """Every column of every identity row as the database holds it (bytes decoded loosely)."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM idstore_identities").all()
    return " ".join(
        v.decode("latin-1") if isinstance(v, bytes) else str(v) for row in rows for v in row
    ).casefold()


def test_identity_rows_hold_no_plaintext_name_or_birth_date(tmp_path):
    store = make_store(tmp_path)
    write(store, "R1", PERSON)
    stored = raw_row_text(store)
    for plain in ("amina", "diallo", "1990", "cap01", "770000001"):
        assert plain not in stored
    # Nor the unkeyed digests, which anyone could recompute from a guessed name and date.
    assert dedupe_key(PERSON, config=CONFIG) not in stored
    assert hashlib.sha256(b"1990-04-03").hexdigest() not in stored
    # The audited read gives everything back.
    assert store.get_by_rid("R1", actor="admin", purpose="ticket 1").demographics == PERSON


def test_dedupe_lookup_finds_the_same_person_typed_differently_and_survives_rotation(tmp_path):
    store = make_store(tmp_path)
    uin = write(store, "R1", PERSON)
    retyped = PERSON | {"fullName": "amina  DIALLO", "dateOfBirth": "03/04/1990"}
    assert store.find_by_dedupe_key(dedupe_key(retyped, config=CONFIG)) == (uin, "R1")
    store.keyring.rotate()  # new rows hash under the new key; old rows keep theirs
    other = PERSON | {"fullName": "Binta Sow"}
    other_uin = write(store, "R2", other)
    assert store.find_by_dedupe_key(dedupe_key(retyped, config=CONFIG)) == (uin, "R1")
    assert store.find_by_dedupe_key(dedupe_key(other, config=CONFIG)) == (other_uin, "R2")
    assert store.find_by_dedupe_key(dedupe_key(PERSON | {"city": "X"}, config=CONFIG)) is None


def test_a_key_rotated_by_another_process_is_picked_up_for_lookups(tmp_path):
    store = make_store(tmp_path)
    DataKeyring(tmp_path / "id-data").rotate()  # e.g. `openreg admin datakey rotate` on the host
    writer = IdStore(engine=store.engine, keyring=DataKeyring(tmp_path / "id-data"))
    uin = write(writer, "R1", PERSON)
    assert store.find_by_dedupe_key(dedupe_key(PERSON, config=CONFIG)) == (uin, "R1")


def test_keyed_hashes_differ_between_data_keys(tmp_path):
    one, two = make_store(tmp_path, "one"), make_store(tmp_path, "two")
    write(one, "R1", PERSON)
    write(two, "R1", PERSON)
    with one.engine.connect() as a, two.engine.connect() as b:
        query = select(tables.identities.c.dedupe_key, tables.identities.c.blocking_key)
        assert set(a.execute(query).one()).isdisjoint(set(b.execute(query).one()))


def test_blocking_key_narrows_fuzzy_candidates_and_decrypts_them(tmp_path):
    store = make_store(tmp_path)
    first = write(store, "R1", PERSON)
    write(store, "R2", PERSON | {"fullName": "Ousmane Ba", "dateOfBirth": "1985-01-01"})
    found = store.candidates(blocking_text="1990-04-03")
    assert [(c.uin, c.demographics["fullName"]) for c in found] == [(first, PERSON["fullName"])]
    assert store.candidates(blocking_text="2001-01-01") == []


def test_demographics_moved_to_another_identity_do_not_decrypt(tmp_path):
    store = make_store(tmp_path)
    write(store, "R1", PERSON)
    write(store, "R2", PERSON | {"fullName": "Ousmane Ba"})
    ids = tables.identities
    with store.engine.begin() as conn:
        first = conn.execute(select(ids.c.demographics_ciphertext).where(ids.c.rid == "R1")).scalar_one()
        conn.execute(update(ids).where(ids.c.rid == "R2").values(demographics_ciphertext=first))
    with pytest.raises(DataKeyError):
        store.get_by_rid("R2", actor="admin", purpose="ticket 2")


def test_a_blank_or_oversized_purpose_is_refused_and_reads_nothing(tmp_path):
    store = make_store(tmp_path)
    uin = write(store, "R1", PERSON)
    for purpose in ("   ", "x" * 501):
        with pytest.raises(ValueError):
            store.get_by_uin(uin, actor="admin", purpose=purpose)
    assert store.read_audit(uin) == []


def test_a_large_blob_sealed_in_place_has_the_layout_of_any_ciphertext(tmp_path):
    key = DataKeyring(tmp_path / "data").current
    document = bytes(range(256)) * 8192  # 2 MB
    sealed = key.encrypt_blob(document, aad=b"uin\x1fdocument\x1fpoa")
    assert len(sealed) == 12 + len(document) + 16 and sealed[12:].find(document[:4096]) == -1
    assert key.decrypt(bytes(sealed), aad=b"uin\x1fdocument\x1fpoa") == document
    with pytest.raises(DataKeyError):
        key.decrypt(bytes(sealed), aad=b"other-uin\x1fdocument\x1fpoa")
    assert key.encrypt_blob(document, aad=b"a")[:12] != sealed[:12]  # a fresh nonce each time

"""The encrypted store: unreadable without the key, no plaintext, key in the keyring, migrations, audit chain."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from client.core.audit import append_audit, verify_audit_chain
from client.core.store import SCHEMA_VERSION, KeyStoreUnavailable, Store, StoreError, get_or_create_db_key
from client.core.store import keys as keys_module

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "client_v1.db"
FIXTURE_V1_KEY = bytes.fromhex("11" * 32)


def test_db_is_unreadable_by_plain_sqlite_and_holds_no_plaintext(store, tmp_path):
    secret_name = "Amina Zenabou Diallo"
    with store.transaction() as conn:
        conn.execute(text("INSERT INTO settings VALUES ('person', :v)"), {"v": secret_name * 50})
    with pytest.raises(sqlite3.DatabaseError):  # also while open, the WAL is encrypted
        sqlite3.connect(tmp_path / "client.db").execute("SELECT * FROM settings").fetchall()
    for file in tmp_path.glob("client.db*"):
        assert b"Amina" not in file.read_bytes(), file
    store.close()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(tmp_path / "client.db").execute("SELECT * FROM settings").fetchall()
    for file in tmp_path.glob("client.db*"):
        raw = file.read_bytes()
        assert b"Amina" not in raw and b"SQLite format 3" not in raw, file


def test_key_is_made_once_and_reused_from_the_keyring(tmp_path):
    kr = tmp_path / "kr.cfg"
    first = get_or_create_db_key(db_path=tmp_path / "a.db", keyring_file=kr)
    assert len(first) == 32
    assert get_or_create_db_key(db_path=tmp_path / "a.db", keyring_file=kr) == first
    assert get_or_create_db_key(db_path=tmp_path / "b.db", keyring_file=kr) != first


def test_wrong_key_is_refused(store, tmp_path):
    store.close()
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(path=tmp_path / "client.db", key=b"\x00" * 32)


def test_no_usable_keyring_stops_with_a_clear_message(tmp_path, monkeypatch):
    from keyring.backends import fail

    monkeypatch.setattr(keys_module.keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(KeyStoreUnavailable, match="OPENREG_CLIENT_KEYRING_FILE"):
        get_or_create_db_key(db_path=tmp_path / "x.db", keyring_file=None)


def test_existing_db_without_its_key_is_not_silently_replaced(tmp_path):
    (tmp_path / "c.db").write_bytes(b"x" * 100)
    with pytest.raises(KeyStoreUnavailable, match="not in the keyring"):
        get_or_create_db_key(db_path=tmp_path / "c.db", keyring_file=tmp_path / "kr.cfg")


def test_v1_fixture_is_upgraded_on_open_keeping_its_data(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURE_V1, db)
    store = Store(path=db, key=FIXTURE_V1_KEY)
    try:
        assert store.applied_migrations == list(range(2, SCHEMA_VERSION + 1))
        assert store.schema_version == SCHEMA_VERSION
        with store.transaction() as conn:
            row = conn.execute(
                text("SELECT rid, status, upload_attempts, purged_at FROM registrations")
            ).one()
            assert row == ("10001100420000120260101120000", "pending_approval", 0, None)
            assert (
                conn.execute(text("SELECT value FROM settings WHERE key='machine_id'")).scalar_one()
                == '"10042"'
            )
            conn.execute(text("INSERT INTO preregistrations VALUES ('P1', '{}', 'now')"))
            assert verify_audit_chain(conn).ok
    finally:
        store.close()
    assert Store(path=db, key=FIXTURE_V1_KEY).applied_migrations == []


def test_audit_chain_verifies_and_reports_first_broken_link(store):
    with store.transaction() as conn:
        for i in range(5):
            append_audit(conn, actor="op1", action="registration.step", details={"i": i})
        assert verify_audit_chain(conn).ok and verify_audit_chain(conn).entries == 5
        conn.execute(text("UPDATE audit_log SET details = :d WHERE seq = 3"), {"d": '{"i":99}'})
        verdict = verify_audit_chain(conn)
        assert (verdict.ok, verdict.first_broken_seq) == (False, 3)
        assert "content" in verdict.reason


def test_audit_chain_detects_a_deleted_entry(store):
    with store.transaction() as conn:
        for i in range(4):
            append_audit(conn, actor="sup1", action="approve", details={"i": i})
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        verdict = verify_audit_chain(conn)
        assert (verdict.ok, verdict.first_broken_seq) == (False, 2)


def test_failed_transaction_changes_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute(text("INSERT INTO settings VALUES ('a', 'b')"))
        raise RuntimeError("boom")
    with store.transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM settings")).scalar_one() == 0

"""The store's settings and refusals one by one: the connection pragmas that make a commit durable and
writers wait their turn, the key's length, migrating to a chosen version, a schema newer than this
software, and which keyring backends may hold the database key."""

import hashlib
import importlib
import sys

import pytest
import sqlcipher3
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import text

from client.core.store import KeyStoreUnavailable, Store, StoreError, get_or_create_db_key
from client.core.store import keys as keys_module
from client.core.store.database import NEW_PAGE_SIZE
from client.core.store.migrations import LATEST, MIGRATIONS, migrate

KEY = b"\x05" * 32


@pytest.fixture
def opened(tmp_path):
    store = Store(path=tmp_path / "s.db", key=KEY)
    yield store
    store.close()


def test_every_connection_is_durable_waits_for_writers_and_checks_foreign_keys(opened):
    with opened.transaction() as conn:
        pragmas = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 10000, "foreign_keys": 1}


def test_a_transaction_takes_the_write_lock_at_once(opened, tmp_path):
    other = sqlcipher3.connect(str(tmp_path / "s.db"), isolation_level=None)
    try:
        other.execute(f"PRAGMA key = \"x'{KEY.hex()}'\"")
        other.execute(f"PRAGMA cipher_page_size = {NEW_PAGE_SIZE}")
        other.execute("PRAGMA busy_timeout = 0")
        with opened.transaction() as conn:
            conn.execute(text("SELECT count(*) FROM settings")).scalar_one()  # a read only, yet...
            with pytest.raises(sqlcipher3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # ...no other connection may begin writing
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_the_key_is_32_bytes(tmp_path):
    for key in (b"\x01" * 31, b"\x01" * 33):
        with pytest.raises(StoreError, match="^the database key must be 32 bytes$"):
            Store(path=tmp_path / "k.db", key=key)
    assert not (tmp_path / "k.db").exists()


def test_a_store_migrates_to_the_version_asked_then_on_to_the_latest(tmp_path):
    first = Store(path=tmp_path / "m.db", key=KEY, migrate_to=2)
    try:
        assert first.applied_migrations == [1, 2] and first.schema_version == 2
    finally:
        first.close()
    again = Store(path=tmp_path / "m.db", key=KEY)
    try:
        assert again.applied_migrations == list(range(3, LATEST + 1)) and again.schema_version == LATEST
        with again.transaction() as conn:
            assert migrate(conn) == [] and migrate(conn, target=LATEST) == []
    finally:
        again.close()
    assert len(MIGRATIONS) == LATEST


def test_a_schema_newer_than_this_software_is_refused_untouched(opened, tmp_path):
    with opened.transaction() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {LATEST + 1}")
    opened.close()
    with pytest.raises(
        RuntimeError, match=f"schema version {LATEST + 1}, newer than this software \\({LATEST}\\)"
    ):
        Store(path=tmp_path / "s.db", key=KEY)


def test_a_plain_store_for_the_benchmark_has_the_same_pages(tmp_path):
    plain = Store(path=tmp_path / "p.db", key=KEY, encrypted=False)
    try:
        with plain.transaction() as conn:
            assert conn.execute(text("PRAGMA page_size")).scalar_one() == NEW_PAGE_SIZE
    finally:
        plain.close()
    assert (tmp_path / "p.db").read_bytes().startswith(b"SQLite format 3")


def test_every_trusted_backend_names_a_keyring_class():
    for name in keys_module.TRUSTED_BACKENDS:
        module, _, cls = name.rpartition(".")
        found = getattr(importlib.import_module(module), cls)
        assert f"{found.__module__}.{found.__qualname__}" == name


def test_a_plaintext_backend_is_refused_alone_or_first_in_a_chain(monkeypatch, tmp_path):
    for resolved in (PlaintextKeyring(), ChainerBackend()):
        monkeypatch.setattr(keys_module.keyring, "get_keyring", lambda r=resolved: r)
        with pytest.raises(KeyStoreUnavailable) as refused:
            get_or_create_db_key(db_path=tmp_path / "x.db", keyring_file=None)
        assert str(refused.value).startswith(
            "The keyring backend keyrings.alt.file.PlaintextKeyring is not an OS credential store"
        )
        assert keys_module.NO_KEYRING_HELP in str(refused.value)


def test_a_trusted_backend_gets_the_key(monkeypatch, tmp_path):
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "trusted.cfg")
    monkeypatch.setattr(keys_module.keyring, "get_keyring", lambda: backend)
    monkeypatch.setattr(keys_module, "TRUSTED_BACKENDS", frozenset({"keyrings.alt.file.PlaintextKeyring"}))
    key = get_or_create_db_key(db_path=tmp_path / "t.db", keyring_file=None)
    assert len(key) == 32 and get_or_create_db_key(db_path=tmp_path / "t.db", keyring_file=None) == key
    digest = hashlib.sha256(str((tmp_path / "t.db").resolve()).encode()).hexdigest()[:24]
    saved = (tmp_path / "trusted.cfg").read_text().splitlines()  # the file keyring escapes "-" and ":"
    assert "[openreg_2Dclient]" in saved and f"db_2dkey_3a{digest} = " in saved


class Memory:
    """A keyring backend in memory, viable at ``priority`` (not a KeyringBackend subclass: keyring would
    find those and offer them to every later test)."""

    priority = 1.0

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.saved.get((service, username))

    def set_password(self, service, username, password):
        self.saved[(service, username)] = password

    def delete_password(self, service, username):
        self.saved.pop((service, username))


class Refusing(Memory):
    def get_password(self, service, username):
        raise KeyringError("locked")


class Shy(Memory):
    def set_password(self, service, username, password):
        raise KeyringError("read-only")


class Unviable(Memory):
    priority = 0.0


class Preferred(Memory):
    priority = 5.0


def trusting(monkeypatch, resolved, *classes) -> None:
    monkeypatch.setattr(keys_module.keyring, "get_keyring", lambda: resolved)
    names = {f"{c.__module__}.{c.__qualname__}" for c in classes}
    monkeypatch.setattr(keys_module, "TRUSTED_BACKENDS", frozenset(names))


def test_the_key_is_kept_under_the_account_installed_kiosks_use(monkeypatch, tmp_path):
    backend = Memory()
    trusting(monkeypatch, backend, Memory)
    key = get_or_create_db_key(db_path=tmp_path / "t.db", keyring_file=None)
    digest = hashlib.sha256(str((tmp_path / "t.db").resolve()).encode()).hexdigest()[:24]
    assert backend.saved == {("openreg-client", f"db-key:{digest}"): key.hex()}  # case and all


def test_a_chain_gives_the_key_to_its_most_preferred_viable_backend(monkeypatch, tmp_path):
    chain = ChainerBackend()
    low, high, off = Memory(), Preferred(), Unviable()
    monkeypatch.setattr(ChainerBackend, "backends", [low, off, high])
    trusting(monkeypatch, chain, Memory, Preferred, Unviable)
    key = get_or_create_db_key(db_path=tmp_path / "c.db", keyring_file=None)
    assert list(high.saved.values()) == [key.hex()] and not low.saved and not off.saved


def test_a_backend_that_is_not_viable_here_is_no_keyring(monkeypatch, tmp_path):
    trusting(monkeypatch, Unviable(), Unviable)
    with pytest.raises(KeyStoreUnavailable, match="^No usable OS keyring was found"):
        get_or_create_db_key(db_path=tmp_path / "u.db", keyring_file=None)


def test_a_keyring_that_refuses_says_which_way(monkeypatch, tmp_path):
    trusting(monkeypatch, Refusing(), Refusing)
    with pytest.raises(KeyStoreUnavailable, match="refused to give the database key: locked"):
        get_or_create_db_key(db_path=tmp_path / "r.db", keyring_file=None)
    trusting(monkeypatch, Shy(), Shy)
    with pytest.raises(KeyStoreUnavailable, match="refused to store the database key: read-only"):
        get_or_create_db_key(db_path=tmp_path / "s.db", keyring_file=None)


def test_only_an_empty_file_gets_a_new_key(monkeypatch, tmp_path):
    trusting(monkeypatch, Memory(), Memory)
    (tmp_path / "empty.db").write_bytes(b"")
    assert len(get_or_create_db_key(db_path=tmp_path / "empty.db", keyring_file=None)) == 32
    (tmp_path / "one.db").write_bytes(b"x")  # a database whose key is lost: never a new key over it
    with pytest.raises(KeyStoreUnavailable, match="exists but its key is not in the keyring"):
        get_or_create_db_key(db_path=tmp_path / "one.db", keyring_file=None)


def test_a_file_keyring_and_a_store_make_their_folders(tmp_path):
    key = get_or_create_db_key(db_path=tmp_path / "s.db", keyring_file=tmp_path / "k" / "j" / "keyring.cfg")
    assert (tmp_path / "k" / "j" / "keyring.cfg").is_file()
    deep = tmp_path / "a" / "b" / "s.db"
    store = Store(path=deep, key=key)
    try:
        assert store.path == deep and deep.is_file()
    finally:
        store.close()


def test_an_empty_file_becomes_a_store_with_the_new_pages(tmp_path):
    (tmp_path / "e.db").write_bytes(b"")  # as a kiosk killed before its first commit leaves it
    store = Store(path=tmp_path / "e.db", key=KEY)
    try:
        with store.transaction() as conn:
            assert conn.execute(text("PRAGMA cipher_page_size")).scalar_one() == str(NEW_PAGE_SIZE)
    finally:
        store.close()


def test_a_file_keyring_without_keyrings_alt_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "keyrings.alt.file", None)  # as on a kiosk without the demo extra
    with pytest.raises(KeyStoreUnavailable) as refused:
        get_or_create_db_key(db_path=tmp_path / "f.db", keyring_file=tmp_path / "keyring.cfg")
    assert str(refused.value) == (
        "a file keyring was asked for (OPENREG_CLIENT_KEYRING_FILE / --keyring-file) but keyrings.alt is "
        "not installed; it comes with the 'demo' extra (pip install 'openreg[demo]') and is for tests "
        "and demos only"
    )


class Failing(Memory):
    """keyring's own "no backend" stand-in, as if it claimed to be viable."""


Failing.__module__ = "keyring.backends.fail"


class Broken(Memory):
    @property
    def priority(self) -> float:
        raise RuntimeError("no D-Bus session")


def test_keyrings_own_stand_in_and_a_backend_that_cannot_tell_are_no_keyring(monkeypatch, tmp_path):
    for stand_in in (Failing(), Broken()):
        trusting(monkeypatch, stand_in, type(stand_in))
        with pytest.raises(KeyStoreUnavailable, match="^No usable OS keyring was found"):
            get_or_create_db_key(db_path=tmp_path / "n.db", keyring_file=None)


def test_an_untrusted_backend_is_refused_with_the_reason(monkeypatch, tmp_path):
    trusting(monkeypatch, Memory())  # viable, but not an OS credential store
    with pytest.raises(KeyStoreUnavailable) as refused:
        get_or_create_db_key(db_path=tmp_path / "p.db", keyring_file=None)
    assert str(refused.value) == (
        f"The keyring backend {__name__}.Memory is not an OS credential store (it may keep the database "
        "key in a plain file), so the kiosk refuses to use it. " + keys_module.NO_KEYRING_HELP
    )

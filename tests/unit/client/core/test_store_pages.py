"""Store speed settings (issue 22) that must not cost compatibility: new files get 16 KiB pages, files
made before keep their 4 KiB pages and open as before, and a bulk transaction's big page cache ends
with it."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from client.core.store import Store, StoreError
from client.core.store.database import BULK_CACHE_KIB, LEGACY_PAGE_SIZE, NEW_PAGE_SIZE

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "client_v1.db"
FIXTURE_V1_KEY = bytes.fromhex("11" * 32)
KEY = b"\x07" * 32


def _page_size(store: Store) -> int:
    with store.transaction() as conn:
        return int(conn.execute(text("PRAGMA cipher_page_size")).scalar_one())


def test_new_files_get_big_pages_and_old_ones_keep_theirs(tmp_path):
    fresh = Store(path=tmp_path / "new.db", key=KEY)
    try:
        assert _page_size(fresh) == NEW_PAGE_SIZE
    finally:
        fresh.close()
    again = Store(path=tmp_path / "new.db", key=KEY)
    try:
        assert _page_size(again) == NEW_PAGE_SIZE
    finally:
        again.close()
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE_V1, old)
    legacy = Store(path=old, key=FIXTURE_V1_KEY)
    try:
        assert _page_size(legacy) == LEGACY_PAGE_SIZE
    finally:
        legacy.close()


def test_a_wrong_key_is_still_refused_whatever_the_page_size(tmp_path):
    Store(path=tmp_path / "a.db", key=KEY).close()
    with pytest.raises(StoreError):
        Store(path=tmp_path / "a.db", key=b"\x08" * 32)


def test_a_bulk_transaction_commits_and_gives_its_cache_back(tmp_path):
    store = Store(path=tmp_path / "a.db", key=KEY)
    try:
        with store.bulk_transaction() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar_one() == -BULK_CACHE_KIB
            conn.execute(text("INSERT INTO settings VALUES ('k', '1')"))
        with pytest.raises(RuntimeError), store.bulk_transaction() as conn:
            conn.execute(text("INSERT INTO settings VALUES ('j', '1')"))
            raise RuntimeError("rolled back")
        with store.transaction() as conn:
            assert conn.execute(text("SELECT key FROM settings")).scalars().all() == ["k"]
            assert conn.execute(text("PRAGMA cache_size")).scalar_one() != -BULK_CACHE_KIB
    finally:
        store.close()

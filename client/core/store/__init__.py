"""Encrypted local store: the SQLCipher facade, its key in the OS keyring, and versioned migrations."""

from client.core.store.database import Store, StoreError
from client.core.store.keys import KeyStoreUnavailable, get_or_create_db_key
from client.core.store.migrations import LATEST as SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "KeyStoreUnavailable", "Store", "StoreError", "get_or_create_db_key"]

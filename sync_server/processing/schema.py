"""All backend tables (processing queue, ID store, reports) for the sync server's Alembic revision.

The server's migration chain owns the schema; its revision for the backend calls
``create_backend_tables(op.get_bind())`` in ``upgrade`` and ``drop_backend_tables`` in ``downgrade``,
so the table definitions live once, beside the code that uses them.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

from sync_server.idstore.tables import metadata as idstore_metadata
from sync_server.processing.tables import metadata as processing_metadata
from sync_server.reports.tables import metadata as reports_metadata

BACKEND_METADATA: tuple[MetaData, ...] = (processing_metadata, idstore_metadata, reports_metadata)


def create_backend_tables(bind: Connection | Engine) -> None:
    """Create every backend table and index that does not exist yet (used by the Alembic revision)."""
    for metadata in BACKEND_METADATA:
        metadata.create_all(bind)


def drop_backend_tables(bind: Connection | Engine) -> None:
    for metadata in reversed(BACKEND_METADATA):
        metadata.drop_all(bind)

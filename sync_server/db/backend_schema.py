"""All backend tables (processing queue, ID store, reports, notification outbox, ABIS requests) on throwaway databases.

The server's Alembic chain owns the real schema (0001_initial states these tables as they were then,
later revisions change them); ``create_backend_tables`` builds the current shape for tests and tools.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

from sync_server.abis.tables import metadata as abis_metadata
from sync_server.db.tables import AuditEntryRow, AuditHeadRow
from sync_server.idstore.tables import metadata as idstore_metadata
from sync_server.notifications.tables import metadata as notifications_metadata
from sync_server.processing.tables import metadata as processing_metadata
from sync_server.reports.tables import metadata as reports_metadata

BACKEND_METADATA: tuple[MetaData, ...] = (
    processing_metadata,
    idstore_metadata,
    reports_metadata,
    notifications_metadata,
    abis_metadata,
)


# Identity reads and reprocessing write the server audit log in their own transaction, so a backend
# database (tests, tools) needs its tables too.
AUDIT_TABLES = (AuditEntryRow.__table__, AuditHeadRow.__table__)


def create_backend_tables(bind: Connection | Engine) -> None:
    """Create every backend table and index that does not exist yet, and the audit log tables."""
    for metadata in BACKEND_METADATA:
        metadata.create_all(bind)
    for table in AUDIT_TABLES:
        table.create(bind, checkfirst=True)


def drop_backend_tables(bind: Connection | Engine) -> None:
    for table in reversed(AUDIT_TABLES):
        table.drop(bind, checkfirst=True)
    for metadata in reversed(BACKEND_METADATA):
        metadata.drop_all(bind)

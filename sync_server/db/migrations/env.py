"""Alembic environment: the engine is handed in by sync_server.db.migrate (no URL in a file)."""

from alembic import context

from sync_server.db.tables import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "sqlite":
        # pysqlite runs DDL outside any transaction unless one is open, so a revision failing after an
        # earlier one had run would leave that one's tables behind with the version rolled back. An
        # explicit transaction makes the whole upgrade all or nothing (and IMMEDIATE keeps a second
        # server starting at the same moment waiting instead of migrating beside it).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()

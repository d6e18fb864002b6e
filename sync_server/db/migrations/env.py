"""Alembic environment: the engine is handed in by sync_server.db.migrate (no URL in a file)."""

from alembic import context

from sync_server.db.tables import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()

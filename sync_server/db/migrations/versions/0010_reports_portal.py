"""Reports portal: versioned report definitions (a ``spec`` document per version), run parameters and
timeline, validation results, connectors, destinations, encrypted secrets, delivery attempts,
mapping sets and trigger marks. On PostgreSQL, the read-only role the built-in connector uses.

Each existing definition becomes version 1 of a spec with the same function, parameters, cron,
formats and active flag. Its old ``delivery`` JSON becomes destinations and routes: a folder as a
folder destination; SFTP with the private key and the pinned host key read from the files the old
config named (the key is then stored encrypted with the server data key, so this step needs --data).

Revision ID: 0010_reports_portal
Revises: 0009_console
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0010_reports_portal"
down_revision = "0009_console"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_old = sa.table(
    "report_definitions",
    sa.column("id", sa.String),
    sa.column("title", sa.String),
    sa.column("function", sa.String),
    sa.column("parameters", sa.JSON),
    sa.column("cron", sa.String),
    sa.column("formats", sa.JSON),
    sa.column("delivery", sa.JSON),
    sa.column("active", sa.Boolean),
)


def _create_tables() -> None:
    op.create_table(
        "report_definition_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("definition_id", sa.String(64), sa.ForeignKey("report_definitions.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("definition_id", "version", name="uq_report_definition_version"),
    )
    op.create_table(
        "report_run_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("report_runs.id"), nullable=False, index=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_table(
        "report_validation_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("report_runs.id"), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "report_connectors",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("dialect", sa.String(32), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "report_destinations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "report_secrets",
        sa.Column("name", sa.String(160), primary_key=True),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("report_runs.id"), nullable=False, index=True),
        sa.Column("destination_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("placed", sa.JSON, nullable=False),
    )
    op.create_table(
        "mapping_sets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("on_missing", sa.String(8), nullable=False),
        sa.Column("fallback", sa.Text),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "mapping_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_id", sa.String(64), sa.ForeignKey("mapping_sets.id"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_to", sa.Date),
    )
    op.create_index("ix_mapping_entries_set_key", "mapping_entries", ["set_id", "key"])
    op.create_table(
        "report_trigger_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("definition_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mark", sa.String(512), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.UniqueConstraint("definition_id", "kind", "mark", name="uq_report_trigger_mark"),
    )


def _keyring():
    from sync_server.db.migrate import SchemaError
    from sync_server.idstore.data_key import DataKeyring

    data_dir = op.get_context().config.attributes.get("data_dir") if op.get_context().config else None
    if data_dir is None:
        raise SchemaError(
            "revision 0010 moves an SFTP report delivery's private key into the encrypted report secrets "
            "and needs the server data dir (its data key); run the server or `openreg admin` with --data"
        )
    return DataKeyring(data_dir)


def _host_key(known_hosts: str, host: str, port: int) -> str:
    from sync_server.db.migrate import SchemaError

    names = {host, f"[{host}]:{port}"}
    try:
        lines = Path(known_hosts).read_text().splitlines()
    except OSError as exc:
        raise SchemaError(
            f"revision 0010: cannot read the SFTP delivery's known_hosts {known_hosts}: {exc}"
        ) from None
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and names & set(parts[0].split(",")):
            return f"{parts[1]} {parts[2]}"
    raise SchemaError(f"revision 0010: {known_hosts} has no key for {host} port {port}")


def _routes(bind, definition_id: str, delivery: dict, now) -> list[dict]:
    """Destinations for an old ``delivery`` JSON; returns the routes that use them."""
    destinations = sa.table(
        "report_destinations",
        *(sa.column(c, sa.String) for c in ("id", "title", "kind", "updated_by")),
        sa.column("config", sa.JSON),
        sa.column("updated_at", _TS),
    )
    routes = []
    if delivery.get("folder"):
        name = f"{definition_id}-folder"[:64]
        bind.execute(
            destinations.insert().values(
                id=name,
                title=f"Folder of {definition_id}",
                kind="folder",
                config={"folder": str(Path(delivery["folder"]).absolute())},
                updated_at=now,
                updated_by="migration",
            )
        )
        routes.append({"destination": name})
    if sftp := delivery.get("sftp"):
        from sync_server.db.migrate import SchemaError

        name = f"{definition_id}-sftp"[:64]
        port = int(sftp.get("port", 22))
        try:
            key = Path(sftp["key_file"]).read_text()
        except OSError as exc:
            raise SchemaError(
                f"revision 0010: cannot read the SFTP delivery's key {sftp['key_file']}: {exc}"
            ) from None
        config = {
            "host": sftp["host"],
            "port": port,
            "username": sftp["username"],
            "remote_dir": sftp.get("remote_dir", "reports"),
            "host_key": _host_key(sftp["known_hosts"], sftp["host"], port),
            "auth": "key",
        }
        bind.execute(
            destinations.insert().values(
                id=name,
                title=f"SFTP of {definition_id}",
                kind="sftp",
                config=config,
                updated_at=now,
                updated_by="migration",
            )
        )
        keyring = _keyring()
        data_key = keyring.current
        secret_name = f"destination:{name}"
        secrets = sa.table(
            "report_secrets",
            sa.column("name", sa.String),
            sa.column("key_id", sa.String),
            sa.column("ciphertext", sa.LargeBinary),
            sa.column("updated_at", _TS),
        )
        bind.execute(
            secrets.insert().values(
                name=secret_name,
                key_id=data_key.key_id,
                updated_at=now,
                ciphertext=data_key.encrypt(key.encode(), aad=f"report-secret:{secret_name}".encode()),
            )
        )
        routes.append({"destination": name})
    return routes


def _spec(row, routes: list[dict]) -> dict:
    return {
        "title": row.title,
        "source": {"kind": "builtin", "function": row.function, "parameters": row.parameters or {}},
        "formats": list(row.formats or ["csv", "json", "pdf"]),
        "routes": routes,
        "schedule": {"cron": row.cron, "timezone": "UTC"},
        "active": bool(row.active),
    }


def upgrade() -> None:
    import datetime as dt

    _create_tables()
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    old = bind.execute(sa.select(_old)).all()
    with op.batch_alter_table("report_definitions") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=False, server_default="system"))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("spec", sa.JSON))
    heads = sa.table("report_definitions", sa.column("id", sa.String), sa.column("spec", sa.JSON))
    versions = sa.table(
        "report_definition_versions",
        sa.column("definition_id", sa.String),
        sa.column("version", sa.Integer),
        sa.column("spec", sa.JSON),
        sa.column("author", sa.String),
        sa.column("created_at", _TS),
    )
    for row in old:
        spec = _spec(row, _routes(bind, row.id, row.delivery or {}, now))
        bind.execute(heads.update().where(heads.c.id == row.id).values(spec=spec))
        bind.execute(
            versions.insert().values(
                definition_id=row.id, version=1, spec=spec, author="system", created_at=now
            )
        )
    with op.batch_alter_table("report_definitions") as batch:
        batch.alter_column("spec", existing_type=sa.JSON, nullable=False)
        for column in ("function", "parameters", "cron", "formats", "delivery"):
            batch.drop_column(column)
    with op.batch_alter_table("report_runs") as batch:
        batch.add_column(sa.Column("definition_version", sa.Integer))
        batch.add_column(sa.Column("parameters", sa.JSON))
        batch.add_column(sa.Column("parent_run_id", sa.Integer))
    if bind.dialect.name == "postgresql":
        from sync_server.reports.connectors import ensure_report_reader_role

        ensure_report_reader_role(bind)


def downgrade() -> None:
    """Back to one row per definition. Only built-in reports fit the old table: any other definition
    refuses the downgrade. Folder routes come back as ``delivery``; other destinations are dropped."""
    from sync_server.db.migrate import SchemaError

    bind = op.get_bind()
    heads = sa.table("report_definitions", sa.column("id", sa.String), sa.column("spec", sa.JSON))
    specs = {r.id: r.spec for r in bind.execute(sa.select(heads))}
    custom = sorted(i for i, spec in specs.items() if spec["source"]["kind"] != "builtin")
    if custom:
        raise SchemaError(f"revision 0010 cannot go back: {', '.join(custom)} are not built-in reports")
    destinations = sa.table(
        "report_destinations",
        sa.column("id", sa.String),
        sa.column("kind", sa.String),
        sa.column("config", sa.JSON),
    )
    folders = {r.id: r.config["folder"] for r in bind.execute(sa.select(destinations)) if r.kind == "folder"}
    with op.batch_alter_table("report_runs") as batch:
        for column in ("definition_version", "parameters", "parent_run_id"):
            batch.drop_column(column)
    with op.batch_alter_table("report_definitions") as batch:
        batch.add_column(sa.Column("function", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("parameters", sa.JSON))
        batch.add_column(sa.Column("cron", sa.String(128)))
        batch.add_column(sa.Column("formats", sa.JSON))
        batch.add_column(sa.Column("delivery", sa.JSON))
    for definition_id, spec in specs.items():
        folder = next(
            (folders[r["destination"]] for r in spec.get("routes", []) if r["destination"] in folders), None
        )
        bind.execute(
            _old.update()
            .where(_old.c.id == definition_id)
            .values(
                function=spec["source"]["function"],
                parameters=spec["source"].get("parameters", {}),
                cron=spec.get("schedule", {}).get("cron"),
                formats=[f for f in spec.get("formats", ["csv", "json", "pdf"]) if f != "xml"] or ["csv"],
                delivery={"folder": folder} if folder else {},
            )
        )
    with op.batch_alter_table("report_definitions") as batch:
        for column in ("parameters", "formats", "delivery"):
            batch.alter_column(column, existing_type=sa.JSON, nullable=False)
        for column in ("owner", "version", "spec"):
            batch.drop_column(column)
    op.drop_index("ix_mapping_entries_set_key", "mapping_entries")
    for table in (
        "report_trigger_marks",
        "mapping_entries",
        "mapping_sets",
        "report_deliveries",
        "report_secrets",
        "report_destinations",
        "report_connectors",
        "report_validation_results",
        "report_run_events",
        "report_definition_versions",
    ):
        op.drop_table(table)

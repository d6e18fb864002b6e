"""Report tables.

Definitions are data: ``report_definitions`` is the head (id, current version, the current spec for
fast reads) and ``report_definition_versions`` keeps every version; a run records the version it ran.
Connectors, destinations and mapping sets are shared by definitions; their secrets (database URLs with
passwords, SFTP/FTP passwords and keys, webhook keys) live encrypted in ``report_secrets``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

report_definitions = Table(
    "report_definitions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("owner", String(64), nullable=False, default="system"),
    Column("version", Integer, nullable=False, default=1),
    Column("spec", JSON, nullable=False),  # the current version's ReportSpec (sync_server.reports.spec)
    Column("active", Boolean, nullable=False, default=True),
)

report_definition_versions = Table(
    "report_definition_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("definition_id", String(64), ForeignKey("report_definitions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("spec", JSON, nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("definition_id", "version", name="uq_report_definition_version"),
)

# run_key is unique: "<definition>@<scheduled fire time>" for scheduled runs (and a trigger's mark for
# triggered ones), so when several servers share the database each may fire but only the one that
# inserts the row runs it.
report_runs = Table(
    "report_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("definition_id", String(64), ForeignKey("report_definitions.id"), nullable=False, index=True),
    Column("definition_version", Integer),
    Column("run_key", String(160), nullable=False, unique=True),
    Column(
        "trigger", String(16), nullable=False
    ),  # schedule | manual | rerun | file | watermark | webhook | chain
    Column("parameters", JSON),
    Column("parent_run_id", Integer),  # the run re-run, or the run whose success started this one
    Column("instance", String(128), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | succeeded | warning | failed
    Column("row_count", Integer),
    Column("error", Text),
)

report_artifacts = Table(
    "report_artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("report_runs.id"), nullable=False, index=True),
    Column("format", String(8), nullable=False),  # csv | json | xml | pdf | meta
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("delivered", JSON, nullable=False, default=list),
)

# The run's timeline and live log: one row per event, in id order.
report_run_events = Table(
    "report_run_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("report_runs.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column(
        "stage", String(32), nullable=False
    ),  # query | mappings | transform | validations | artifacts | delivery
    Column("level", String(8), nullable=False),  # start | ok | info | warn | error
    Column("message", Text, nullable=False),
)

report_validation_results = Table(
    "report_validation_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("report_runs.id"), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(8), nullable=False),  # sql | rule
    Column("severity", String(8), nullable=False),  # blocking | warning
    Column("passed", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
)

report_connectors = Table(
    "report_connectors",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("dialect", String(32), nullable=False),  # the URL's backend name: postgresql, mysql, sqlite, ...
    Column("options", JSON, nullable=False, default=dict),  # pool size, timeout, row and byte limits
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

report_destinations = Table(
    "report_destinations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("kind", String(8), nullable=False),  # folder | sftp | ftp | ftps
    Column("config", JSON, nullable=False, default=dict),  # everything but the secret
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# name: "connector:<id>" (the URL), "destination:<id>" (password or private key), "webhook:<definition>".
report_secrets = Table(
    "report_secrets",
    metadata,
    Column("name", String(160), primary_key=True),
    Column("key_id", String(16), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every delivery attempt of a run to a destination, with its outcome.
report_deliveries = Table(
    "report_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("report_runs.id"), nullable=False, index=True),
    Column("destination_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed | skipped
    Column("detail", Text, nullable=False),
    Column("placed", JSON, nullable=False, default=list),  # where each file went
)

mapping_sets = Table(
    "mapping_sets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("on_missing", String(8), nullable=False, default="fail"),  # fail | fallback | keep
    Column("fallback", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

mapping_entries = Table(
    "mapping_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("set_id", String(64), ForeignKey("mapping_sets.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=False),
    Column("effective_from", Date),  # None: since always
    Column("effective_to", Date),  # None: until further notice; inclusive
    Index("ix_mapping_entries_set_key", "set_id", "key"),
)

# Trigger marks: a file seen, a watermark value reached, a webhook delivery id. Unique per definition
# and kind, so a mark starts one run however many servers see it.
report_trigger_marks = Table(
    "report_trigger_marks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("definition_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # file | watermark | webhook
    Column("mark", String(512), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("definition_id", "kind", "mark", name="uq_report_trigger_mark"),
)

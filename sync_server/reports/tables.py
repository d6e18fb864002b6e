"""Report tables: definitions (what, when, which formats), runs (history) and their artifacts."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

report_definitions = Table(
    "report_definitions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("function", String(64), nullable=False),  # name in sync_server.reports.builtin.REPORTS
    Column("parameters", JSON, nullable=False, default=dict),
    Column("cron", String(128)),  # crontab text ("0 6 * * *"); six fields means seconds first
    Column("formats", JSON, nullable=False, default=lambda: ["csv", "json", "pdf"]),
    Column("delivery", JSON, nullable=False, default=dict),  # {"sftp": {...}} besides the folder
    Column("active", Boolean, nullable=False, default=True),
)

# run_key is unique: "<definition>@<scheduled fire time>" for scheduled runs, so when several
# servers share the job store each fires the job but only the one that inserts the row runs it.
report_runs = Table(
    "report_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("definition_id", String(64), ForeignKey("report_definitions.id"), nullable=False, index=True),
    Column("run_key", String(160), nullable=False, unique=True),
    Column("trigger", String(16), nullable=False),  # schedule | manual
    Column("instance", String(128), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | succeeded | failed
    Column("row_count", Integer),
    Column("error", Text),
)

report_artifacts = Table(
    "report_artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("report_runs.id"), nullable=False, index=True),
    Column("format", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("delivered", JSON, nullable=False, default=list),
)

"""The one server clock: tests set it, and server code that stamps times reads it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import Base
from sync_server.idstore import tables as idstore_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.keys import load_or_create_keys, rotate_packet_key
from sync_server.processing.pipeline import PacketContext, Pipeline, StageRecord
from sync_server.reports.runner import ReportService
from sync_server.services.audit import append_audit, list_entries
from sync_server.services.clock import aware, use_clock, utcnow
from sync_server.services.report_context import server_report_context

AT = dt.datetime(2031, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


def test_use_clock_sets_and_restores_the_time():
    with use_clock(lambda: AT):
        assert utcnow() == AT
    assert abs(utcnow() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_audit_entries_and_key_rotation_read_the_server_clock(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)
    load_or_create_keys(tmp_path)
    with use_clock(lambda: AT):
        with engine.begin() as conn:
            append_audit(conn, actor="cli:test", action="test.clock", target=None, details={})
        keys = rotate_packet_key(tmp_path)
    with engine.connect() as conn:
        (entry,) = list_entries(conn, limit=1)
    assert dt.datetime.fromisoformat(str(entry.at)) == AT
    assert keys.issued_at == AT
    engine.dispose()


def test_stage_records_uins_and_report_runs_read_the_server_clock(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    create_backend_tables(engine)
    reports = ReportService(
        engine=engine, out_dir=tmp_path / "reports", context_factory=lambda: server_report_context(engine)
    )
    reports.install_builtin_definitions()
    records: list[StageRecord] = []
    with use_clock(lambda: AT):
        Pipeline([_Step()], record=records.append).run(PacketContext("R1"))
        uin = IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data")).issue_uin(rid="R1")
        run_id = reports.run("rejections")
    assert (records[0].started_at, records[0].ended_at) == (AT, AT)
    with engine.connect() as conn:
        issued = conn.scalar(select(idstore_tables.uins.c.issued_at).where(idstore_tables.uins.c.uin == uin))
    assert aware(issued) == AT
    (run,) = [r for r in reports.runs("rejections") if r["id"] == run_id]
    assert aware(run["started_at"]) == AT and aware(run["ended_at"]) == AT
    engine.dispose()


class _Step:
    name = "verify"

    def run(self, context: PacketContext) -> None:
        pass

"""Alembic owns the schema: on SQLite and on a real PostgreSQL the migrations reach head, the result
matches the table models exactly, and 0003 splits old ``"<code>: <text>"`` reasons (and back)."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert, select, text

from sync_server.db.engine import make_engine
from sync_server.db.migrate import alembic_config, migrate
from sync_server.db.tables import Base, MachineRow, PacketRow
from sync_server.idstore.tables import metadata as idstore_metadata
from sync_server.processing.tables import metadata as processing_metadata
from sync_server.processing.tables import processing_jobs
from sync_server.reports.tables import metadata as reports_metadata

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _all_models() -> MetaData:
    combined = MetaData()
    for metadata in (Base.metadata, processing_metadata, idstore_metadata, reports_metadata):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def test_migrations_reach_head_and_match_the_models(engine):
    head = migrate(engine)
    assert head == "0007_abuse_limits"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _all_models())
    # APScheduler creates its own job store table at runtime; it is not ours to model.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "apscheduler_jobs")]
    assert diff == []
    assert migrate(engine) == head  # idempotent on a migrated database


def test_0003_splits_old_combined_reasons_and_downgrade_joins_them(engine):
    config = alembic_config(engine)
    command.upgrade(config, "0002_machine_masterdata_sync")
    packet = {
        "machine_id": "10001",
        "center_id": "10001",
        "sha256": "ab" * 32,
        "size": 10,
        "registered_at": NOW,
        "uin": None,
    }
    with engine.begin() as conn:
        conn.execute(
            insert(PacketRow.__table__),
            [
                packet | {"rid": "1" * 29, "status": "rejected", "reason": "duplicate: duplicate of UIN 42"},
                packet
                | {
                    "rid": "2" * 29,
                    "status": "rejected",
                    "reason": "rejected by the supervisor at the kiosk: blurry",
                },
                packet | {"rid": "3" * 29, "status": "processed", "uin": "42", "reason": None},
                packet | {"rid": "4" * 29, "status": "failed", "reason": "decrypt_failed: None"},
                packet | {"rid": "5" * 29, "status": "rejected", "reason": "bad_signature: forged"},
            ],
        )
        job = {"attempts": 1, "next_attempt_at": NOW, "enqueued_at": NOW, "info": {}}
        conn.execute(
            insert(processing_jobs),
            [
                job
                | {
                    "rid": "1" * 29,
                    "status": "rejected",
                    "reason_code": "duplicate",
                    "reason_text": "duplicate of UIN 42",
                },
                job | {"rid": "3" * 29, "status": "processed", "reason_code": None, "reason_text": None},
                job
                | {"rid": "4" * 29, "status": "failed", "reason_code": "decrypt_failed", "reason_text": None},
            ],
        )
    command.upgrade(config, "head")
    columns = (PacketRow.rid, PacketRow.reason_code, PacketRow.reason)
    with engine.connect() as conn:
        rows = {r.rid[0]: (r.reason_code, r.reason) for r in conn.execute(select(*columns))}
    assert rows == {
        "1": ("duplicate", "duplicate of UIN 42"),
        "2": ("supervisor_rejected", "rejected by the supervisor at the kiosk: blurry"),
        "3": (None, None),
        "4": ("decrypt_failed", None),
        "5": (None, "bad_signature: forged"),  # no queue row: left as it was
    }
    command.downgrade(config, "0002_machine_masterdata_sync")
    with engine.connect() as conn:
        reasons = dict(conn.execute(text("SELECT rid, reason FROM packets ORDER BY rid")).all())
    assert reasons["1" * 29] == "duplicate: duplicate of UIN 42"
    assert reasons["2" * 29] == "rejected by the supervisor at the kiosk: blurry"
    assert reasons["3" * 29] is None
    assert reasons["4" * 29] == "decrypt_failed"  # no text: just the code, not "decrypt_failed: None"
    assert reasons["5" * 29] == "bad_signature: forged"
    command.downgrade(config, "0001_initial")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(select(MachineRow.last_masterdata_sync_at)).all() == []

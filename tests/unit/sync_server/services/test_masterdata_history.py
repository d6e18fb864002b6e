"""DbMasterDataHistory over tables shaped like the sync server's migration (0001_initial)."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import create_engine, insert

from sync_server.services.masterdata_history import DbMasterDataHistory

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def make(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    md = sa.MetaData()
    changes = sa.Table(
        "masterdata_changes",
        md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String),
        sa.Column("entity_id", sa.String),
        sa.Column("op", sa.String),
        sa.Column("data", sa.JSON),
        sa.Column("center_id", sa.String),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )
    machines = sa.Table(
        "machines",
        md,
        sa.Column("machine_id", sa.String, primary_key=True),
        sa.Column("public_key", sa.String),
        sa.Column("center_id", sa.String),
        sa.Column("status", sa.String),
    )
    md.create_all(engine)

    def change(entity, entity_id, op, data, days):
        with engine.begin() as conn:
            conn.execute(
                insert(changes).values(
                    entity=entity,
                    entity_id=entity_id,
                    op=op,
                    data=data,
                    created_at=T0 + dt.timedelta(days=days),
                )
            )

    with engine.begin() as conn:
        conn.execute(
            insert(machines).values(
                machine_id="10001", public_key="KEY", center_id="10001", status="approved"
            )
        )
        conn.execute(
            insert(machines).values(
                machine_id="10002", public_key="KEY2", center_id="10001", status="pending"
            )
        )
    return engine, change


def test_rows_as_they_were_at_capture_time(tmp_path):
    engine, change = make(tmp_path)
    change("users", "op1", "upsert", {"id": "op1", "roles": ["operator"], "active": True}, 0)
    change("users", "op1", "upsert", {"id": "op1", "roles": ["operator"], "active": False}, 10)
    change("users", "op2", "upsert", {"id": "op2", "roles": ["operator"]}, 0)
    change("users", "op2", "delete", None, 5)
    history = DbMasterDataHistory(engine)
    assert history.entity_at("users", "op1", T0 + dt.timedelta(days=3))["active"] is True
    assert history.entity_at("users", "op1", T0 + dt.timedelta(days=11))["active"] is False
    assert history.entity_at("users", "op2", T0 + dt.timedelta(days=6)) is None
    assert history.entity_at("users", "op1", T0 - dt.timedelta(days=1)) is None
    assert history.entity_at("users", "op1", T0 - dt.timedelta(minutes=2)) is not None  # kiosk clock skew


def test_machines_merge_enrolment_and_schema_versions_stay(tmp_path):
    engine, change = make(tmp_path)
    change("id_schema", "default", "upsert", {"id": "default", "version": 1, "schema": {"v": 1}}, 0)
    change("id_schema", "default", "upsert", {"id": "default", "version": 2, "schema": {"v": 2}}, 3)
    history = DbMasterDataHistory(engine)
    machine = history.entity_at("machines", "10001", T0)
    assert machine["public_key"] == "KEY" and machine["active"] is True and machine["center_id"] == "10001"
    assert history.entity_at("machines", "10002", T0)["active"] is False  # not approved yet
    assert history.entity_at("machines", "10003", T0) is None
    assert history.id_schema("default", 1) == {"v": 1} and history.id_schema("default", 2) == {"v": 2}
    assert history.id_schema("default", 3) is None


def test_an_entity_at_a_time_is_found_through_the_index_not_by_scanning_the_log(tmp_path):
    """Processing asks this several times a packet; on the server's own schema (the models, which the
    migrations test holds equal to Alembic's) SQLite must walk the (entity, entity_id, seq) index."""
    from sqlalchemy import event

    from sync_server.db.tables import Base

    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)
    asked: list[tuple[str, tuple]] = []
    event.listen(engine, "before_cursor_execute", lambda *a: asked.append((a[2], a[3])))
    assert DbMasterDataHistory(engine).entity_at("centers", "10001", T0) is None
    (statement, parameters), *_ = [q for q in asked if "masterdata_changes" in q[0]]
    with engine.connect() as conn:
        plan = " ".join(
            row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "USING INDEX ix_masterdata_changes_entity_id_seq" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # the newest change comes off the index, no sort


def test_a_machine_is_its_master_data_row_at_that_time_with_its_enrolment(tmp_path):
    engine, change = make(tmp_path)
    change("machines", "10001", "upsert", {"id": "10001", "name": "Kiosk A", "active": True}, 0)
    change("machines", "10001", "upsert", {"id": "10001", "name": "Kiosk A", "active": False}, 5)
    change("machines", "10001", "delete", None, 8)
    change("machines", "10002", "upsert", {"id": "10002", "name": "Kiosk B"}, 0)
    history = DbMasterDataHistory(engine)
    before = history.entity_at("machines", "10001", T0 - dt.timedelta(days=1))  # enrolled, no row yet
    assert before == {"id": "10001", "public_key": "KEY", "center_id": "10001", "active": True}
    at_one = history.entity_at("machines", "10001", T0 + dt.timedelta(days=1))
    assert at_one["name"] == "Kiosk A" and at_one["active"] is True and at_one["public_key"] == "KEY"
    assert history.entity_at("machines", "10001", T0 + dt.timedelta(days=6))["active"] is False
    after = history.entity_at("machines", "10001", T0 + dt.timedelta(days=9))  # row deleted since
    assert after == {"id": "10001", "public_key": "KEY", "center_id": "10001", "active": True}
    pending = history.entity_at("machines", "10002", T0 + dt.timedelta(days=1))
    assert pending["name"] == "Kiosk B" and pending["active"] is False  # approval is the enrolment's
    change("machines", "10003", "upsert", {"id": "10003", "name": "never enrolled"}, 0)
    assert history.entity_at("machines", "10003", T0 + dt.timedelta(days=1)) is None

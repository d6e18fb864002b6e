"""A kiosk keeps working on its last good master data: a UI spec or ID schema it cannot load is recorded,
skipped, reported to the server, and the changes after it are still taken (real SQLCipher store)."""

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from client.core.machine import MachineKeys
from client.core.master_data import MasterData
from client.core.store import SCHEMA_VERSION, Store, get_or_create_db_key
from client.core.sync.master_data_sync import MasterDataSync
from client.core.sync.transport import TransportError
from shared.signing import public_key_b64
from tests.unit.client.core.sync.test_master_data_sync import SERVER_KEY, Source

DEMO = Path(__file__).resolve().parents[5] / "sync_server" / "demo_data"
SCHEMA = json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0]
SPEC = json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"][0]


@pytest.fixture
def machine(store):
    keys = MachineKeys(store=store)
    keys.record_enrolment(
        status="approved",
        machine_id="10042",
        center_id="10001",
        signing_key=public_key_b64(SERVER_KEY),
        recipients=["age1x"],
    )
    return keys


def up(seq, entity, row):
    return {"seq": seq, "entity": entity, "id": row["id"], "op": "upsert", "data": row}


def spec_v2(extra_field: str | None = "shoeSize") -> dict:
    spec = copy.deepcopy(SPEC)
    spec["version"] = spec["spec"]["version"] = 2
    if extra_field:
        spec["spec"]["screens"][0]["fields"].append({"id": extra_field, "labels": {"eng": "x"}})
    return spec


def schema_v2(drop: str | None = None, add: str | None = None) -> dict:
    schema = copy.deepcopy(SCHEMA)
    schema["version"] = schema["schema"]["version"] = 2
    fields = [f for f in schema["schema"]["fields"] if f["id"] != drop]
    schema["schema"]["fields"] = fields + ([{"id": add, "type": "text"}] if add else [])
    return schema


def problems(store):
    with store.transaction() as conn:
        return conn.execute(
            text("SELECT seq, entity, id, reported_at IS NOT NULL FROM masterdata_problems")
        ).all()


def test_bad_ui_spec_is_skipped_and_the_previous_one_stays_active(store, machine):
    log = [
        up(1, "id_schema", SCHEMA),
        up(2, "ui_spec", SPEC),
        up(3, "ui_spec", spec_v2()),
        up(4, "genders", {"id": "X"}),
    ]
    source = Source(log, {"cursor": 0, "entities": {}})
    sync = MasterDataSync(store=store, machine=machine, source=source, page_size=2)
    assert sync.sync().skipped == 1 and sync.cursor() == 4
    md = MasterData(store=store, center_id="10001")
    assert md.form_engine().ui_spec.version == 1 and md.get("genders", "X") is not None
    assert problems(store) == [(3, "ui_spec", "new_registration", True)]
    assert "shoeSize" in source.reported[0]["reason"]


def test_schema_that_breaks_the_active_spec_is_skipped_but_a_matching_pair_is_taken(store, machine):
    log = [up(1, "id_schema", SCHEMA), up(2, "ui_spec", SPEC), up(3, "id_schema", schema_v2(drop="email"))]
    source = Source(log, {"cursor": 0, "entities": {}})
    sync = MasterDataSync(store=store, machine=machine, source=source)
    sync.sync()
    md = MasterData(store=store, center_id="10001")
    assert md.form_engine().schema.version == 1
    assert [(p["seq"], p["entity"]) for p in source.reported] == [(3, "id_schema")]
    assert "would no longer load" in source.reported[0]["reason"]
    # later, a schema with a new field and a spec that uses it arrive together: both are taken
    source.log += [up(4, "id_schema", schema_v2(add="shoeSize")), up(5, "ui_spec", spec_v2())]
    assert sync.sync().skipped == 0
    engine = md.form_engine()
    assert (engine.schema.version, engine.ui_spec.version) == (2, 2)


def test_a_bad_spec_does_not_cost_a_good_schema_in_the_same_page(store, machine):
    log = [
        up(1, "id_schema", SCHEMA),
        up(2, "ui_spec", SPEC),
        up(3, "id_schema", schema_v2(add="nickname")),
        up(4, "ui_spec", spec_v2("noSuchField")),
    ]
    source = Source(log, {"cursor": 0, "entities": {}})
    MasterDataSync(store=store, machine=machine, source=source).sync()
    engine = MasterData(store=store, center_id="10001").form_engine()
    assert (engine.schema.version, engine.ui_spec.version) == (2, 1)
    assert [(p["seq"], p["entity"]) for p in source.reported] == [(4, "ui_spec")]


def test_snapshot_with_a_bad_row_loads_the_rest_and_reports_the_row(store, machine):
    bad_spec = spec_v2()
    snap = {"cursor": 9, "entities": {"id_schema": [SCHEMA], "ui_spec": [bad_spec], "genders": [{"id": "F"}]}}
    source = Source([], snap)
    sync = MasterDataSync(store=store, machine=machine, source=source)
    result = sync.sync()
    assert result.skipped == 1 and sync.cursor() == 9
    md = MasterData(store=store, center_id="10001")
    assert (
        md.get("genders", "F")
        and md.get("id_schema", "default")
        and md.get("ui_spec", bad_spec["id"]) is None
    )
    assert problems(store) == [(9, "ui_spec", "new_registration", True)]


def test_an_unsent_report_waits_for_the_next_sync_and_is_sent_once(store, machine):
    source = Source(
        [up(1, "id_schema", {"id": "default", "version": 1, "schema": {"fields": "no"}})],
        {"cursor": 0, "entities": {}},
    )

    def offline(_problems):
        raise TransportError("no network")

    source.report_problems, sent = offline, []
    sync = MasterDataSync(store=store, machine=machine, source=source)
    sync.sync()
    assert problems(store) == [(1, "id_schema", "default", False)]
    source.report_problems = sent.extend
    sync.sync()
    sync.sync()
    assert [p["seq"] for p in sent] == [1] and problems(store) == [(1, "id_schema", "default", True)]


def test_a_resent_page_does_not_record_the_problem_twice(store, machine):
    source = Source([up(1, "ui_spec", SPEC)], {"cursor": 0, "entities": {}})  # no schema for it at all
    sync = MasterDataSync(store=store, machine=machine, source=source)
    sync.sync()
    with store.transaction() as conn:
        conn.execute(text("UPDATE settings SET value = '0' WHERE key = 'masterdata.cursor'"))
    sync.sync()
    assert problems(store) == [(1, "ui_spec", "new_registration", True)] and len(source.reported) == 1


def test_upgrade_drops_users_no_kiosk_may_hold(tmp_path, store):
    rows = [
        ("admin", None, ["admin"]),
        ("boss", "10001", ["admin"]),
        ("op1", "10001", ["operator"]),
        ("sup1", "10001", ["operator", "supervisor"]),
    ]
    with store.transaction() as conn:
        for user_id, center, roles in rows:
            conn.execute(
                text("INSERT INTO master_data VALUES ('users', :i, :c, :d)"),
                {
                    "i": user_id,
                    "c": center,
                    "d": json.dumps({"id": user_id, "roles": roles, "center_id": center}),
                },
            )
        # back to the schema before step 4, as a kiosk of the previous release has it
        conn.execute(text("DROP TABLE masterdata_problems"))
        conn.execute(text("DROP TABLE receipts"))
        conn.execute(text("DROP TABLE operator_prints"))
        conn.exec_driver_sql("PRAGMA user_version = 3")
    store.close()
    key = get_or_create_db_key(db_path=tmp_path / "client.db", keyring_file=tmp_path / "keyring.cfg")
    reopened = Store(path=tmp_path / "client.db", key=key)
    try:
        assert reopened.applied_migrations == list(range(4, SCHEMA_VERSION + 1))
        with reopened.transaction() as conn:
            ids = (
                conn.execute(text("SELECT id FROM master_data WHERE entity = 'users' ORDER BY id"))
                .scalars()
                .all()
            )
        assert ids == ["op1", "sup1"]
    finally:
        reopened.close()

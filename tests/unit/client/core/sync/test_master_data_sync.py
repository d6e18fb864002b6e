"""Master-data sync against an in-memory signed source: verification, atomic pages, cursor, snapshot."""

import gzip
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from client.core.machine import MachineKeys
from client.core.master_data import MasterData
from client.core.sync.master_data_sync import MasterDataRefused, MasterDataSync, SignedPage, SignedSnapshot
from shared.canonical import canonical_json
from shared.signing import generate_private_key, public_key_b64, sign_b64

SERVER_KEY = generate_private_key()


class Source:
    def __init__(self, changes, snapshot=None, key=SERVER_KEY):
        self.log, self.snap, self.key, self.tamper = changes, snapshot, key, None
        self.reported: list[dict] = []

    def report_problems(self, problems):
        self.reported += problems

    def snapshot(self):
        body = gzip.compress(json.dumps(self.snap).encode())
        return SignedSnapshot(body=body, signature=sign_b64(self.key, body))

    def changes(self, *, since, limit):
        page = [c for c in self.log if c["seq"] > since][:limit]
        payload = {
            "changes": page,
            "next_cursor": page[-1]["seq"] if page else since,
            "complete": not [c for c in self.log if c["seq"] > (page[-1]["seq"] if page else since)],
        }
        signature = sign_b64(self.key, canonical_json(payload))
        if self.tamper:
            self.tamper(payload)
        return SignedPage(payload=payload, signature=signature, size=len(canonical_json(payload)))


def change(seq, entity, row_id, data=None, op="upsert"):
    return {
        "seq": seq,
        "entity": entity,
        "id": row_id,
        "op": op,
        "data": {"id": row_id, **data} if data else None,
    }


@pytest.fixture
def machine(store):
    m = MachineKeys(store=store)
    m.record_enrolment(
        status="approved",
        machine_id="10042",
        center_id="10001",
        signing_key=public_key_b64(SERVER_KEY),
        recipients=["age1x"],
    )
    return m


def test_snapshot_then_pages_with_tombstones_and_progress(store, machine):
    snap = {"cursor": 2, "entities": {"genders": [{"id": "FLE"}, {"id": "MLE"}]}}
    log = [
        change(3, "genders", "X", {"labels": {}}),
        change(4, "genders", "MLE", op="delete"),
        change(5, "centers", "10001", {"name": "Capital"}),
    ]
    seen = []
    sync = MasterDataSync(store=store, machine=machine, source=Source(log, snap), page_size=2)
    result = sync.sync(progress=lambda p: seen.append((p.phase, p.rows)))
    assert sync.cursor() == 5 and result.rows == 5
    assert [r["id"] for r in MasterData(store=store).rows("genders")] == ["FLE", "X"]
    assert seen[0] == ("snapshot", 2) and seen[-1] == ("done", 5)
    # a second run only asks for what is new
    assert sync.sync().rows == 0


def test_a_completed_sync_is_the_kiosks_last_contact_and_a_refused_one_is_not(store, machine):
    """Home's "last sync" reads it: true from the enrolment's first master-data sync on, and a page the
    kiosk refused is no sync."""
    assert machine.last_contact() is None
    before = datetime.now(UTC)
    MasterDataSync(store=store, machine=machine, source=Source([], {"cursor": 0, "entities": {}})).sync()
    contact = machine.last_contact()
    assert contact is not None and before <= contact <= datetime.now(UTC)
    source = Source([change(1, "genders", "FLE", {"labels": {}})], {"cursor": 0, "entities": {}})
    source.tamper = lambda payload: payload["changes"][0]["data"].update(evil=True)
    with pytest.raises(MasterDataRefused):
        MasterDataSync(store=store, machine=machine, source=source).sync()
    assert machine.last_contact() == contact


def test_bad_signature_is_refused_and_nothing_applied(store, machine):
    source = Source([change(1, "genders", "FLE", {"labels": {}})], {"cursor": 0, "entities": {}})
    source.tamper = lambda payload: payload["changes"][0]["data"].update(evil=True)
    sync = MasterDataSync(store=store, machine=machine, source=source)
    with pytest.raises(MasterDataRefused, match="bad signature"):
        sync.sync()
    assert sync.cursor() == 0 and MasterData(store=store).rows("genders") == []


def test_page_signed_by_another_key_is_refused(store, machine):
    sync = MasterDataSync(
        store=store,
        machine=machine,
        source=Source([], {"cursor": 0, "entities": {}}, key=generate_private_key()),
    )
    with pytest.raises(MasterDataRefused, match="snapshot has a bad signature"):
        sync.sync()
    assert sync.cursor() is None


def test_a_change_the_kiosk_cannot_apply_is_recorded_skipped_reported_and_later_ones_applied(store, machine):
    log = [
        change(1, "genders", "FLE", {"labels": {}}),
        change(
            2,
            "id_schema",
            "default",
            {"version": 1, "schema": {"version": 1, "fields": [{"id": "x", "type": "blob"}]}},
        ),
        change(3, "genders", "MLE", {"labels": {}}),
    ]
    source = Source(log, {"cursor": 0, "entities": {}})
    sync = MasterDataSync(store=store, machine=machine, source=source)
    result = sync.sync()
    assert sync.cursor() == 3 and result.skipped == 1 and result.rows == 2
    assert [r["id"] for r in MasterData(store=store).rows("genders")] == ["FLE", "MLE"]
    assert MasterData(store=store).rows("id_schema") == []
    assert [(p["seq"], p["entity"], p["id"]) for p in source.reported] == [(2, "id_schema", "default")]
    assert "unknown type" in source.reported[0]["reason"]
    with store.transaction() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'masterdata.skipped'")
            ).scalar_one()
            == 1
        )
        assert conn.execute(text("SELECT reported_at FROM masterdata_problems")).scalar_one() is not None


def test_unenrolled_machine_cannot_sync(store):
    with pytest.raises(MasterDataRefused, match="enrol"):
        MasterDataSync(store=store, machine=MachineKeys(store=store), source=Source([])).sync()

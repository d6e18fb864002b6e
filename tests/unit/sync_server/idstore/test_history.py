"""ID store versions and status: an update makes version 2 with its changes; reads by the update's
RID find the identity; status changes are audited, revocation is final, and inactive identities
are neither updated nor offered as candidates."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.db.tables import AuditEntryRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.ports import BlobIn, IdentityInactive, VersionConflict

FIRST = {"fullName": "Amina Diallo", "dateOfBirth": "1990-04-03", "city": "C1", "addressLine": "1 Main St"}


@pytest.fixture
def store(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'id.db'}")
    create_backend_tables(engine)
    store = IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data"))
    store.write_identity(
        uin="5000000008",
        rid="1" * 29,
        demographics=FIRST,
        dedupe_key="k1",
        center_id="10001",
        blobs_in=[],
        blocking_text="1990-04-03",
    )
    yield store
    engine.dispose()


def update(store, rid="2" * 29, expected=1, blobs_in=(), **changes):
    return store.update_identity(
        uin="5000000008",
        rid=rid,
        flow="update",
        expected_version=expected,
        demographics=FIRST | changes,
        changed_fields=sorted(changes),
        dedupe_key="k1",
        blocking_text="1990-04-03",
        blobs_in=list(blobs_in),
    )


def test_an_update_is_version_two_with_its_changes_and_is_idempotent(store):
    assert update(store, addressLine="2 New St") == 2
    assert update(store, addressLine="2 New St") == 2  # the same packet again: nothing new
    read = store.get_by_rid("2" * 29, actor="admin", purpose="check the update")
    assert (read.uin, read.version, read.demographics["addressLine"]) == ("5000000008", 2, "2 New St")
    assert [v.version for v in read.history] == [1, 2]
    assert read.history[1].changes == {"addressLine": ("1 Main St", "2 New St")}


def test_a_stale_update_conflicts_instead_of_overwriting(store):
    update(store, addressLine="2 New St")
    with pytest.raises(VersionConflict):
        update(store, rid="3" * 29, expected=1, addressLine="3 Old St")


def test_status_changes_are_audited_and_revocation_is_final(store):
    assert (
        store.set_status("5000000008", status="deactivated", reason="reported dead", actor="admin")
        == "active"
    )
    with pytest.raises(IdentityInactive):
        update(store, addressLine="2 New St")
    assert store.candidates(blocking_texts=["1990-04-03"]) == []
    store.set_status("5000000008", status="revoked", reason="fraud confirmed", actor="admin")
    with pytest.raises(ValueError, match="stays revoked"):
        store.set_status("5000000008", status="active", reason="mistake", actor="admin")
    with pytest.raises(ValueError, match="reason"):
        store.set_status("5000000008", status="active", reason="  ", actor="admin")
    with store.engine.connect() as conn:
        actions = conn.execute(
            select(AuditEntryRow.action).where(AuditEntryRow.action == "identity.status")
        ).all()
    assert len(actions) == 2


def test_an_update_replaces_the_captures_it_brings_and_keeps_the_others(store):
    def named(*blobs):
        return [BlobIn(kind, name, "application/octet-stream", data) for kind, name, data in blobs]

    update(
        store,
        blobs_in=named(("document", "POA:bill", b"old bill"), ("biometric", "finger:Left Thumb", b"old")),
    )
    update(
        store,
        rid="3" * 29,
        expected=2,
        blobs_in=named(("biometric", "finger:Left Thumb", b"new"), ("biometric", "face:Face", b"face")),
    )
    read = store.get_by_uin("5000000008", actor="admin", purpose="check the captures")
    assert sorted((b.kind, b.name, b.data) for b in read.blobs) == [
        ("biometric", "face:Face", b"face"),
        ("biometric", "finger:Left Thumb", b"new"),
        ("document", "POA:bill", b"old bill"),
    ]

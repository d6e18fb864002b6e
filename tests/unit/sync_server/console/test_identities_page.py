"""The identities page in-process with a real ID store: a stated purpose is required, the read is
audited with the console user as actor, blobs are listed without their bytes, and a server process
without a backend says so."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from sync_server.db.tables import AuditEntryRow
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.ports import BlobIn
from tests.support.console import csrf_of

RID = "1000100001000012025030108000"


def _store(state, tmp_path) -> IdStore:
    store = IdStore(engine=state.engine, keyring=DataKeyring(tmp_path / "keys-home"))
    uin = store.issue_uin(rid=RID)
    store.write_identity(
        uin=uin,
        rid=RID,
        demographics={"fullName": "Amina Diallo", "dateOfBirth": "1985-02-14"},
        dedupe_key="amina|1985-02-14",
        center_id="10001",
        blobs_in=[BlobIn("biometric", "Left Thumb", "application/x-iso19794", b"SECRET-MINUTIAE")],
    )
    state.backend = SimpleNamespace(id_store=store)
    return store


def _reads(state) -> list:
    with state.engine.connect() as conn:
        return conn.execute(select(AuditEntryRow).where(AuditEntryRow.action == "identity.read")).all()


def test_lookup_needs_a_purpose_and_is_audited(signed_in, console_state, tmp_path):
    _store(console_state, tmp_path)
    auditor = signed_in(["auditor"])
    form = auditor.get("/console/identities")
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    blank = auditor.post("/console/identities", data={"csrf": csrf, "by": "rid", "key": RID, "purpose": " "})
    assert blank.status_code == 422 and "Amina" not in blank.text and _reads(console_state) == []
    found = auditor.post(
        "/console/identities", data={"csrf": csrf, "by": "rid", "key": RID, "purpose": "complaint 42"}
    )
    assert found.status_code == 200 and "Amina Diallo" in found.text and "Left Thumb" in found.text
    assert "SECRET-MINUTIAE" not in found.text and found.headers["cache-control"] == "no-store"
    (entry,) = _reads(console_state)
    assert entry.actor == auditor.username and "complaint 42" in entry.details
    missing = auditor.post(
        "/console/identities", data={"csrf": csrf, "by": "uin", "key": "0000000000", "purpose": "check"}
    )
    assert missing.status_code == 404 and "No identity" in missing.text
    forged = auditor.post(
        "/console/identities", data={"csrf": "x", "by": "rid", "key": RID, "purpose": "x y z"}
    )
    assert forged.status_code == 403 and len(_reads(console_state)) == 1


def test_without_a_backend_the_page_says_so(signed_in, console_state):
    admin = signed_in(["admin"])
    page = admin.get("/console/identities")
    assert "not running in this server process" in page.text
    answer = admin.post(
        "/console/identities", data={"csrf": csrf_of(page.text), "by": "uin", "key": "123", "purpose": "test"}
    )
    assert answer.status_code == 503
    assert signed_in(["center_admin"], centers=["10001"]).get("/console/identities").status_code == 403

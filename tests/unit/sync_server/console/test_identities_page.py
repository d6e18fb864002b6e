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


def test_admins_see_the_history_change_the_status_and_download_a_verifiable_letter(
    signed_in, console_state, tmp_path
):
    from shared.uin_credential import verify_credential
    from sync_server.letters.scan import credential_text_from_file

    store = _store(console_state, tmp_path)
    uin = store.get_by_rid(RID, actor="t", purpose="setup").uin
    admin = signed_in(["admin"])
    csrf = csrf_of(admin.get("/console/identities").text)
    found = admin.post(
        "/console/identities", data={"csrf": csrf, "by": "uin", "key": uin, "purpose": "letter"}
    )
    assert "History" in found.text and "First version" in found.text and "UIN letter" in found.text

    letter = admin.post(
        f"/console/identities/{uin}/letter",
        data={"csrf": csrf, "language": "ara", "purpose": "resident asked"},
    )
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter.content)
    key = console_state.keys.signing_key.public_key()
    from shared.signing import key_id

    credential = verify_credential(
        credential_text_from_file(pdf), {key_id(console_state.keys.signing_key): key}
    )
    assert (credential.uin, credential.name) == (uin, "Amina Diallo")

    changed = admin.post(
        f"/console/identities/{uin}/status",
        data={"csrf": csrf, "status": "revoked", "reason": "fraud confirmed"},
    )
    assert changed.status_code == 200 and "Status changed" in changed.text
    refused = admin.post(
        f"/console/identities/{uin}/letter", data={"csrf": csrf, "language": "eng", "purpose": "again"}
    )
    assert refused.status_code == 422 and "not active" in refused.text


def test_auditors_neither_change_a_status_nor_issue_letters(signed_in, console_state, tmp_path):
    store = _store(console_state, tmp_path)
    uin = store.get_by_rid(RID, actor="t", purpose="setup").uin
    auditor = signed_in(["auditor"])
    csrf = csrf_of(auditor.get("/console/identities").text)
    for path, data in [
        ("status", {"status": "revoked", "reason": "x"}),
        ("letter", {"language": "eng", "purpose": "xyz"}),
    ]:
        answer = auditor.post(f"/console/identities/{uin}/{path}", data={"csrf": csrf, **data})
        assert answer.status_code == 403
    assert store.get_by_rid(RID, actor="t", purpose="check").status == "active"

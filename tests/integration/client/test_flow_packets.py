"""Update, lost and correction packets through the kiosk's real path: sealed by the real packet builder,
approved at end of day, opened with the server identity (meta carries flow, UIN, update groups, the
held RID); and against a real server process: synced specs, uploaded like a new registration."""

import subprocess

import pytest

from client.core.authentication import hash_password
from client.core.bootstrap import build_client
from client.core.master_data import apply_changes
from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.registration.repository import Registrations
from demo.samples import capture_group, document_scan
from tests.integration.client.kiosk_child import settings
from tests.integration.client.kiosk_setup import prepare_offline_kiosk

packet = pytest.importorskip("shared.packet")

UIN = "4829156370"
ADDRESS = {"region": "R1", "province": "R1P1", "city": "R1P1C1", "addressLine": "3 Harbour Road"}
SUPERVISOR = {
    "id": "sup1",
    "name": "Sara",
    "roles": ["operator", "supervisor"],
    "center_id": "10001",
}


def update_address(app, session):
    reg = app.registrations.start(session=session, flow="update")
    assert reg.choose_update(uin=UIN, groups=["address", "documents"]) == {}
    assert reg.submit_demographics({"consent": "I_AGREE", **ADDRESS}).ok
    reg.add_document(
        field_id="proofOfAddress",
        doc_type="UTILITY_BILL",
        name="bill.jpg",
        content_type="image/jpeg",
        data=document_scan(1, target_bytes=8_000),
    )
    assert reg.submit_documents().ok
    reg.record_capture(group="right_slap", records=capture_group("right_slap", seed=2))
    assert reg.submit_biometrics() == {}
    return app.registrations.finish(session=session, registration=reg)


def lost_uin(app, session):
    reg = app.registrations.start(session=session, flow="lost")
    assert reg.submit_demographics({"consent": "I_AGREE", "fullName": "Amina Diallo"}).ok
    for group in CAPTURE_GROUPS:
        reg.record_capture(group=group, records=capture_group(group, seed=7))
    assert reg.submit_biometrics() == {}
    return app.registrations.finish(session=session, registration=reg)


def correction(app, session, held_rid):
    reg = app.registrations.start(session=session, flow="correction")
    assert reg.choose_correction(rid=held_rid) == {}
    assert reg.submit_demographics({}).ok
    reg.add_document(
        field_id="proofOfIdentity",
        doc_type="PASSPORT",
        name="passport.jpg",
        content_type="image/jpeg",
        data=document_scan(2, target_bytes=8_000),
    )
    assert reg.submit_documents().ok
    return app.registrations.finish(session=session, registration=reg)


def test_every_flow_seals_is_approved_and_opens_with_its_meta(tmp_path):
    data, keyring = tmp_path / "kiosk", tmp_path / "kr"
    identity = prepare_offline_kiosk(data, keyring)
    app = build_client(settings(data, keyring))
    try:
        row = SUPERVISOR | {"password_hash": hash_password("sup-pass")}
        with app.store.transaction() as conn:
            apply_changes(conn, [{"entity": "users", "id": "sup1", "op": "upsert", "data": row}])
        session = app.authentication.login(user_id="op1", password="op-pass")
        updated, lost = update_address(app, session), lost_uin(app, session)
        with app.store.transaction() as conn:  # what a status poll records for a held packet
            Registrations(conn).record_outcome(
                rid=lost.rid,
                status="processing",
                uin=None,
                reason="Attach a proof of identity",
                reason_code="more_information",
                at="2026-06-01T10:00:00+00:00",
            )
        held = app.registrations.held_packets()
        assert [(h["rid"], h["reason"]) for h in held] == [(lost.rid, "Attach a proof of identity")]
        assert held[0]["summary"]["flow"] == "lost"
        corrected = correction(app, session, lost.rid)
        supervisor = app.authentication.login(user_id="sup1", password="sup-pass")
        pending = {p["rid"]: p["summary"] for p in app.end_of_day.pending(session=supervisor)}
        assert pending[updated.rid]["uin"] == UIN and pending[corrected.rid]["correction_of"] == lost.rid
        for done in (updated, corrected):
            app.end_of_day.approve(session=supervisor, rid=done.rid)
        with app.store.transaction() as conn:
            ready = [r["rid"] for r in Registrations(conn).pending_uploads()]
        assert sorted(ready) == sorted([updated.rid, corrected.rid])
        machine_public = app.machine.identity().public_key
        receipts = {done.rid: app.receipts.pdf(rid=done.rid) for done in (updated, lost, corrected)}
    finally:
        app.close()

    def opened(done):
        return packet.open_packet(
            done.packet_path, identities=[identity], machine_public_key=machine_public
        ).contents

    update = opened(updated)
    meta = packet.read_meta(update.meta)
    assert (meta.flow, meta.uin, meta.update_groups) == ("update", UIN, ["address", "documents"])
    assert set(update.demographics) == {"consent", *ADDRESS, "proofOfAddress"}  # only what changes
    assert {b.modality for b in update.biometrics} == {"finger"}  # captures that authenticate
    lost_contents = opened(lost)
    assert packet.read_meta(lost_contents.meta).flow == "lost"
    assert lost_contents.demographics["fullName"] == "Amina Diallo"
    assert {b.modality for b in lost_contents.biometrics} == {"finger", "iris", "face"}
    answer = opened(corrected)
    answer_meta = packet.read_meta(answer.meta)
    assert (answer_meta.flow, answer_meta.correction_of, answer_meta.uin) == ("correction", lost.rid, None)
    assert answer.biometrics == [] and [d.filename for d in answer.documents] == ["passport.jpg"]
    for done, words in (
        (updated, ["Update request acknowledgement", UIN]),
        (lost, ["Lost UIN request acknowledgement"]),
        (corrected, ["Additional information acknowledgement", lost.rid]),
    ):  # each receipt says what was asked (pdftotext reads the embedded fonts' text back)
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=receipts[done.rid], capture_output=True, check=True
        ).stdout.decode()
        assert all(w in text for w in words), (done.rid, text)


def test_a_server_syncs_the_processes_and_takes_their_packets_like_new_ones(tmp_path, start_sync_server):
    pytest.importorskip("sync_server.cli", reason="the sync server is not in this tree")
    import demo.headless as demo

    server = start_sync_server(tmp_path / "server")
    data, keyring = tmp_path / "kiosk", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, server.url))
    try:
        app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    finally:
        app.close()
    app = build_client(settings(data, keyring, server.url))
    try:
        app.master_data_sync().sync()  # the server's import checks passed every process's spec
        assert app.master_data.flows() == ["new", "update", "lost", "correction"]
        session = app.authentication.login(user_id=demo.OPERATOR, password=demo.OPERATOR_PASSWORD)
        rids = [update_address(app, session).rid, lost_uin(app, session).rid]
        supervisor = app.authentication.login(user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD)
        for rid in rids:
            app.end_of_day.approve(session=supervisor, rid=rid)
        report = app.upload_agent().upload_approved()
        assert report.ok and sorted(report.uploaded) == sorted(rids)
    finally:
        app.close()

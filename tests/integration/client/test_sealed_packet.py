"""A registration sealed by the kiosk opens with the server identity and carries everything captured."""

import json

import pytest

from client.core.bootstrap import build_client
from client.core.registration.biometrics import CAPTURE_GROUPS
from demo.samples import capture_group, document_scan, sample_person
from shared.forms import consent_digest, template_texts
from tests.integration.client.kiosk_child import settings
from tests.integration.client.kiosk_setup import DEMO, prepare_offline_kiosk

packet = pytest.importorskip("shared.packet")


def test_kiosk_packet_opens_with_server_identity_and_machine_key(tmp_path):
    data, keyring = tmp_path / "kiosk", tmp_path / "kr"
    identity = prepare_offline_kiosk(data, keyring)
    app = build_client(settings(data, keyring))
    try:
        session = app.authentication.login(user_id="op1", password="op-pass")
        reg = app.registrations.start(session=session)
        person = sample_person(2, locations={"region": "R1", "province": "P1", "city": "C1"}, gender="FLE")
        assert reg.submit_demographics(person.demographics).ok
        reg.add_document(
            field_id="proofOfIdentity",
            doc_type="passport",
            name="p.jpg",
            content_type="image/jpeg",
            data=document_scan(3, target_bytes=20_000),
        )
        assert reg.submit_documents().ok
        for group in CAPTURE_GROUPS:
            reg.record_capture(
                group=group,
                records=[r for r in capture_group(group, seed=5) if r.bio_subtype != person.missing_finger],
            )
        reg.mark_exception(modality="finger", bio_subtype=person.missing_finger, reason="amputated")
        reg.set_exception_photo(b"\xff\xd8photo")
        assert reg.submit_biometrics() == {}
        reg.approve_by_supervisor(supervisor_id="sup1")
        done = app.registrations.finish(session=session, registration=reg)
        machine_public = app.machine.identity().public_key
    finally:
        app.close()
    opened = packet.open_packet(done.packet_path, identities=[identity], machine_public_key=machine_public)
    contents = opened.contents
    assert contents.rid == done.rid and contents.meta["supervisor_id"] == "sup1"
    assert contents.demographics["fullName"] == person.demographics["fullName"]
    assert {b.modality for b in contents.biometrics} == {"finger", "iris", "face", "exception_photo"}
    assert [e["bio_subtype"] for e in contents.exceptions] == [person.missing_finger]
    assert [b.bio_subtype for b in contents.biometrics if b.exception] == [person.missing_finger]
    assert contents.documents[0].data == document_scan(3, target_bytes=20_000)
    assert any(a["action"] == "registration.signed_off" for a in contents.audit)
    # issue 14: the consent is in id.json, and meta proves which text was on screen
    assert contents.demographics["consent"] == "I_AGREE"
    consent = packet.read_meta(contents.meta).consent
    texts = template_texts(json.loads((DEMO / "ui_spec.json").read_text())["entities"]["templates"][0])
    assert (consent.template_id, consent.languages) == ("registration_consent", ["eng", "ara"])
    assert consent.sha256 == consent_digest(texts, ["eng", "ara"])
    with pytest.raises(packet.PacketError):
        packet.open_packet(
            done.packet_path,
            identities=[identity],
            machine_public_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )

"""The update, lost and correction processes of the demo UI spec, driven through the state machine with
plain dicts (no store, no GUI), as the New Registration is in test_workflow.py."""

import json
from datetime import date
from pathlib import Path

import pytest

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture, BiometricPolicy
from client.core.registration.process import ProcessChoice
from client.core.registration.workflow import Registration, Step, WorkflowError
from shared.forms import FormEngine, load_id_schema, load_ui_spec

DEMO = Path(__file__).resolve().parents[5] / "sync_server" / "demo_data"
UIN = "4829156370"  # ten digits, Verhoeff check digit 0
NEW_ADDRESS = {"region": "R1", "province": "P1", "city": "C1", "addressLine": "3 Harbour Road"}


def engines() -> dict[str, FormEngine]:
    schema = load_id_schema(json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0])
    rows = json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"]
    return {
        spec.flow: FormEngine(schema=schema, ui_spec=spec) for spec in (load_ui_spec(r, schema) for r in rows)
    }


@pytest.fixture(scope="module")
def forms():
    return engines()


def start(forms, flow):
    return Registration(
        engine=forms[flow],
        policy=BiometricPolicy(),
        operator_id="op1",
        today=date(2026, 6, 1),
        process=ProcessChoice(flow=flow),
    )


def capture(reg, *groups, quality=90):
    for group in groups:
        modality, subtypes = CAPTURE_GROUPS[group]
        records = [BiometricCapture(modality, s, quality, b"ISO" + s.encode()) for s in subtypes]
        reg.record_capture(group=group, records=records)


def test_every_process_of_the_demo_spec_loads(forms):
    assert set(forms) == {"new", "update", "lost", "correction"}
    assert [g.id for g in forms["update"].ui_spec.groups][-2:] == ["documents", "biometrics"]


def test_an_address_update_carries_the_uin_the_address_and_authentication_captures(forms):
    reg = start(forms, "update")
    assert reg.step == Step.PROCESS and reg.steps() == [Step.PROCESS]
    with pytest.raises(WorkflowError):
        reg.submit_demographics({})
    errors = reg.choose_update(uin="4829156372", groups=[])  # last digit mistyped, nothing chosen
    assert errors["uin"].code == "uin_check_digit" and errors["update_groups"].code == "no_group"
    assert reg.choose_update(uin="48291 56370", groups=["address"]) == {}
    assert reg.process.uin == UIN and reg.steps() == [Step.PROCESS, Step.DEMOGRAPHICS, Step.BIOMETRICS]
    assert reg.engine.screen_fields("changes", {}) == [
        "consent",
        "region",
        "province",
        "city",
        "postalCode",
        "addressLine",
    ]
    partial = reg.submit_demographics({"consent": "I_AGREE", "region": "R1"})
    assert set(partial.errors) == {"province", "city", "addressLine"}  # a changed address is whole
    result = reg.submit_demographics(
        {"consent": "I_AGREE", **NEW_ADDRESS, "fullName": "Not asked"}  # out of scope: dropped
    )
    assert result.ok and reg.step == Step.BIOMETRICS and "fullName" not in reg.values
    assert reg.process.authenticating
    assert reg.submit_biometrics()["authentication"].code == "auth_capture_needed"
    capture(reg, "right_slap")  # one group is enough to authenticate
    assert reg.submit_biometrics() == {} and reg.step == Step.PREVIEW
    assert reg.preview()["process"].update_groups == ("address",)
    signed = reg.sign_off(operator_id="op1")
    assert signed.process == ProcessChoice("update", UIN, ("address",))
    assert set(signed.demographics) == {"consent", *NEW_ADDRESS}
    assert {b.modality for b in signed.biometrics} == {"finger"}


def test_a_changed_group_needs_a_value_and_documents_need_one_document(forms):
    reg = start(forms, "update")
    assert reg.choose_update(uin=UIN, groups=["documents", "contact"]) == {}  # stored in the spec's order
    assert reg.process.update_groups == ("contact", "documents")
    result = reg.submit_demographics({"consent": "I_AGREE"})
    assert result.errors["phone"].code == "group_empty"
    assert reg.submit_demographics({"consent": "I_AGREE", "email": "a@b.example"}).ok
    assert reg.step == Step.DOCUMENTS and set(reg.document_fields()) == {
        "proofOfIdentity",
        "proofOfAddress",
        "proofOfRelationship",
    }
    assert not any(reg.document_fields().values())  # the schema's required POI does not apply
    assert reg.submit_documents().errors["documents"].code == "document_needed"
    reg.add_document(
        field_id="proofOfAddress", doc_type="utility_bill", name="bill.pdf", content_type="x", data=b"%PDF"
    )
    assert reg.submit_documents().ok and reg.step == Step.BIOMETRICS
    reg.back()
    reg.back()
    reg.back()
    assert reg.step == Step.PROCESS  # the officer may change what changes
    assert reg.choose_update(uin=UIN, groups=["biometrics"]) == {}
    assert reg.values == {"consent": "I_AGREE"} and reg.documents == {}  # the rest no longer applies
    assert reg.submit_demographics({"consent": "I_AGREE"}).ok and reg.step == Step.BIOMETRICS
    assert not reg.process.authenticating
    capture(reg, "right_slap")
    assert "finger/Left IndexFinger" in reg.submit_biometrics()  # new biometrics: every slot


def test_a_lost_uin_search_needs_only_consent_and_the_biometrics(forms):
    reg = start(forms, "lost")
    assert reg.step == Step.DEMOGRAPHICS and reg.steps() == [Step.DEMOGRAPHICS, Step.BIOMETRICS]
    assert set(reg.submit_demographics({}).errors) == {"consent"}
    assert reg.submit_demographics({"consent": "I_AGREE", "fullName": "Amina"}).ok
    assert reg.step == Step.BIOMETRICS
    capture(reg, "face")
    assert "finger/Left IndexFinger" in reg.submit_biometrics()  # identification: every slot
    capture(reg, *[g for g in CAPTURE_GROUPS if g != "face"])
    assert reg.submit_biometrics() == {} and reg.step == Step.PREVIEW
    reg.back()
    assert reg.step == Step.BIOMETRICS
    reg.back()
    assert reg.step == Step.DEMOGRAPHICS


def test_a_correction_names_the_held_packet_and_sends_what_was_asked(forms):
    reg = start(forms, "correction")
    assert reg.choose_correction(rid="1234")["rid"].code == "rid_format"
    held = "10001100420000720260601093000"
    assert reg.choose_correction(rid=held) == {}
    assert reg.steps() == [Step.PROCESS, Step.DEMOGRAPHICS, Step.DOCUMENTS]  # no biometrics
    assert reg.submit_demographics({}).ok  # nothing is required…
    assert reg.submit_documents().errors["correction"].code == "nothing_to_send"  # …but something is sent
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p.jpg", content_type="image/jpeg", data=b"J"
    )
    assert reg.submit_documents().ok and reg.step == Step.PREVIEW
    reg.go_to(Step.DEMOGRAPHICS)
    with pytest.raises(WorkflowError):
        reg.go_to(Step.BIOMETRICS)
    assert reg.submit_demographics({}).ok and reg.submit_documents().ok
    signed = reg.sign_off(operator_id="op1")
    assert signed.process.correction_of == held and signed.biometrics == []


def test_the_demo_data_has_one_checked_spec_per_process():
    from sync_server.demo_data.make_demo_data import check_forms

    assert check_forms() == {
        "new": "new_registration",
        "update": "update_process",
        "lost": "lost_process",
        "correction": "correction_process",
    }

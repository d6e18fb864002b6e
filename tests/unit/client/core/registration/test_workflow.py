"""The New Registration state machine driven with plain dicts (no store, no GUI)."""

import json
from datetime import date
from pathlib import Path

import pytest

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture, BiometricPolicy
from client.core.registration.workflow import Registration, Step, WorkflowError
from shared.forms import FormEngine, load_id_schema, load_ui_spec

DEMO = Path(__file__).resolve().parents[5] / "sync_server" / "demo_data"
ADULT = {
    "consent": "I_AGREE",
    "fullName": "Amina Diallo",
    "dateOfBirth": "1991-04-12",
    "gender": "FLE",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "12 Palm Street",
}


@pytest.fixture(scope="module")
def engine():
    schema = load_id_schema(json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0])
    spec = load_ui_spec(json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"][0], schema)
    return FormEngine(schema=schema, ui_spec=spec)


def new(engine, **kw):
    return Registration(
        engine=engine, policy=BiometricPolicy(), operator_id="op1", today=date(2026, 6, 1), **kw
    )


def capture_all(reg, quality=90, skip=()):
    for group, (modality, subtypes) in CAPTURE_GROUPS.items():
        records = [
            BiometricCapture(modality, s, quality, b"ISO" + s.encode()) for s in subtypes if s not in skip
        ]
        assert reg.record_capture(group=group, records=records).attempts >= 1


def through_documents(reg):
    assert reg.submit_demographics(ADULT).ok
    reg.add_document(
        field_id="proofOfIdentity",
        doc_type="passport",
        name="p.pdf",
        content_type="application/pdf",
        data=b"%PDF",
    )
    assert reg.submit_documents().ok


def test_happy_path_needs_no_supervisor(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg)
    assert reg.submit_biometrics() == {}
    assert reg.step is Step.PREVIEW
    assert reg.preview()["demographics"]["fullName"] == "Amina Diallo"
    done = reg.sign_off(operator_id="op1")
    assert reg.step is Step.SIGNED_OFF
    assert len(done.biometrics) == 13 and done.supervisor_id is None and done.schema_version == 1


def test_invalid_demographics_give_per_field_messages_and_do_not_advance(engine):
    reg = new(engine)
    result = reg.submit_demographics({**ADULT, "fullName": "R2D2", "dateOfBirth": "2099-01-01", "nope": 1})
    assert reg.step is Step.DEMOGRAPHICS
    assert result.errors["fullName"] == "Full name: letters only"
    assert result.errors["dateOfBirth"] == "Date of birth must be on or before 2026-06-01"
    assert result.errors["nope"] == "nope is not a field of the ID schema"
    assert reg.values == {}  # nothing kept from a rejected submit


def test_child_needs_guardian_and_relationship_document(engine):
    reg = new(engine)
    errors = reg.submit_demographics({**ADULT, "dateOfBirth": "2018-01-01"}).errors
    assert list(errors) == ["guardianName"]
    assert reg.submit_demographics({**ADULT, "dateOfBirth": "2018-01-01", "guardianName": "Musa Diallo"}).ok
    reg.add_document(
        field_id="proofOfIdentity", doc_type="birth", name="b.pdf", content_type="application/pdf", data=b"x"
    )
    assert list(reg.submit_documents().errors) == ["proofOfRelationship"]


def test_prefill_from_preregistration(engine):
    reg = new(engine, prereg_id="PRE123", prefill={"fullName": "Pre Filled", "unknownKey": 1})
    assert reg.values == {"fullName": "Pre Filled"}
    assert reg.submit_demographics({k: v for k, v in ADULT.items() if k != "fullName"}).ok
    assert reg.values["fullName"] == "Pre Filled"


def test_poor_quality_retries_then_needs_supervisor(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg)
    low = [BiometricCapture("iris", s, 20, b"i") for s in ("Left", "Right")]
    reg.captures.pop(("iris", "Left")), reg.captures.pop(("iris", "Right"))
    reg.attempts.pop("irises")
    outcomes = [reg.record_capture(group="irises", records=low) for _ in range(3)]
    assert [o.retry_allowed for o in outcomes] == [True, True, False]
    assert outcomes[-1].accepted and outcomes[-1].attempts == 3
    assert reg.submit_biometrics() == {}
    assert reg.step is Step.SUPERVISOR_APPROVAL and reg.approval_reasons() == ["poor_quality"]
    with pytest.raises(WorkflowError):
        reg.sign_off(operator_id="op1")
    with pytest.raises(WorkflowError, match="own registration"):
        reg.approve_by_supervisor(supervisor_id=reg.operator_id)
    reg.approve_by_supervisor(supervisor_id="sup1")
    assert reg.sign_off(operator_id="op1").supervisor_id == "sup1"


def test_retry_keeps_the_best_record(engine):
    reg = new(engine)
    through_documents(reg)
    reg.record_capture(group="face", records=[BiometricCapture("face", "Face", 30, b"a")])
    reg.record_capture(group="face", records=[BiometricCapture("face", "Face", 80, b"b")])
    reg.record_capture(group="face", records=[BiometricCapture("face", "Face", 40, b"c")])
    assert reg.captures[("face", "Face")].record == b"b"


def test_missing_finger_is_an_exception_with_photo_and_supervisor(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg, skip=("Left LittleFinger",))
    problem = reg.submit_biometrics()["finger/Left LittleFinger"]
    assert problem.code == "not_captured"  # a code and its slot, for the kiosk to word
    assert problem.fields == {"group": "left_slap", "modality": "finger", "subtype": "Left LittleFinger"}
    reg.mark_exception(modality="finger", bio_subtype="Left LittleFinger", reason="amputated")
    assert reg.submit_biometrics() == {
        "exception_photo": "an exception photo is required when a biometric is marked missing"
    }
    reg.set_exception_photo(b"\xff\xd8photo")
    assert reg.submit_biometrics() == {}
    assert reg.step is Step.SUPERVISOR_APPROVAL and reg.approval_reasons() == ["exceptions"]
    reg.approve_by_supervisor(supervisor_id="sup1")
    done = reg.sign_off(operator_id="op1")
    assert [e.bio_subtype for e in done.exceptions] == ["Left LittleFinger"] and done.exception_photo


def test_rules_are_configurable(engine):
    policy = BiometricPolicy.from_config(
        lambda k, d: {"supervisor.approval_for": ["always"], "biometrics.max_retries": 1}.get(k, d)
    )
    reg = Registration(engine=engine, policy=policy, operator_id="op1", today=date(2026, 6, 1))
    through_documents(reg)
    capture_all(reg)
    assert reg.submit_biometrics() == {} and reg.step is Step.SUPERVISOR_APPROVAL


def test_steps_are_enforced_and_back_works(engine):
    reg = new(engine)
    with pytest.raises(WorkflowError):
        reg.submit_documents()
    with pytest.raises(WorkflowError):
        reg.mark_exception(modality="face", bio_subtype="Face", reason="x")
    through_documents(reg)
    reg.back()
    assert reg.step is Step.DOCUMENTS
    reg.back()
    assert reg.step is Step.DEMOGRAPHICS
    reg.cancel()
    assert reg.step is Step.CANCELLED


def test_only_the_registering_officer_signs_off(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg)
    reg.submit_biometrics()
    with pytest.raises(WorkflowError):
        reg.sign_off(operator_id="op2")


def test_go_to_returns_to_an_earlier_step_keeping_everything(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg)
    assert reg.submit_biometrics() == {} and reg.step is Step.PREVIEW
    reg.go_to(Step.DEMOGRAPHICS)
    assert reg.step is Step.DEMOGRAPHICS and reg.values["fullName"] == "Amina Diallo"
    assert reg.documents and len(reg.captures) == 13
    with pytest.raises(WorkflowError):
        reg.go_to(Step.BIOMETRICS)  # forward only through the submit steps
    with pytest.raises(WorkflowError):
        reg.go_to(Step.PREVIEW)
    assert reg.submit_demographics({"fullName": "Amina B. Diallo"}).ok
    assert reg.submit_documents().ok and reg.submit_biometrics() == {}
    assert reg.preview()["demographics"]["fullName"] == "Amina B. Diallo"


def _approved_with_exception(engine):
    reg = new(engine)
    through_documents(reg)
    capture_all(reg, skip=("Left LittleFinger",))
    reg.mark_exception(modality="finger", bio_subtype="Left LittleFinger", reason="amputated")
    reg.set_exception_photo(b"\xff\xd8photo")
    assert reg.submit_biometrics() == {}
    reg.approve_by_supervisor(supervisor_id="sup1")
    return reg


def test_an_approval_survives_an_edit_that_leaves_biometrics_alone(engine):
    reg = _approved_with_exception(engine)
    reg.go_to(Step.DOCUMENTS)
    assert reg.submit_documents().ok and reg.submit_biometrics() == {}
    assert reg.step is Step.PREVIEW and reg.sign_off(operator_id="op1").supervisor_id == "sup1"


def test_changed_biometrics_need_the_supervisor_again(engine):
    reg = _approved_with_exception(engine)
    reg.go_to(Step.BIOMETRICS)
    reg.record_capture(
        group="left_slap", records=[BiometricCapture("finger", "Left IndexFinger", 95, b"new")]
    )
    assert reg.submit_biometrics() == {} and reg.step is Step.SUPERVISOR_APPROVAL
    assert reg.supervisor_id is None
    reg.back()
    reg.exceptions.clear()  # the kiosk unmarks a finger directly; the approval must not survive it
    reg.record_capture(group="left_slap", records=[BiometricCapture("finger", "Left LittleFinger", 95, b"x")])
    assert reg.submit_biometrics() == {} and reg.step is Step.PREVIEW and reg.supervisor_id is None


def test_only_applicable_documents_are_offered(engine):
    adult, minor = new(engine), new(engine)
    assert adult.submit_demographics(ADULT).ok
    assert adult.document_fields() == {"proofOfIdentity": True, "proofOfAddress": False}
    child = {**ADULT, "dateOfBirth": "2018-01-01", "guardianName": "Musa Diallo"}
    assert minor.submit_demographics(child).ok
    assert minor.document_fields("documents") == {
        "proofOfIdentity": True,
        "proofOfAddress": False,
        "proofOfRelationship": True,
    }


def test_a_document_needs_its_type_and_can_be_retyped(engine):
    reg = new(engine)
    assert reg.submit_demographics(ADULT).ok
    with pytest.raises(WorkflowError, match="type"):
        reg.add_document(
            field_id="proofOfIdentity", doc_type="", name="p", content_type="image/png", data=b"x"
        )
    reg.add_document(
        field_id="proofOfIdentity", doc_type="passport", name="p", content_type="image/png", data=b"x"
    )
    reg.retype_document("proofOfIdentity", "birth_cert")
    assert reg.documents["proofOfIdentity"].doc_type == "birth_cert"
    assert reg.documents["proofOfIdentity"].data == b"x"


def test_a_document_that_no_longer_applies_is_dropped(engine):
    reg = new(engine)
    child = {**ADULT, "dateOfBirth": "2018-01-01", "guardianName": "Musa Diallo"}
    assert reg.submit_demographics(child).ok
    for field_id in ("proofOfIdentity", "proofOfRelationship"):
        reg.add_document(field_id=field_id, doc_type="t", name="p", content_type="image/png", data=b"x")
    reg.back()
    assert reg.submit_demographics(ADULT).ok  # the date of birth was a typo: an adult after all
    assert reg.submit_documents().ok
    assert list(reg.documents) == ["proofOfIdentity"]

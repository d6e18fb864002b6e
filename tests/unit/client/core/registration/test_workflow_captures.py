"""The registration workflow's capture outcomes, exceptions and signed-off record, value by value: what the
kiosk shows the officer after each capture and what goes into the packet."""

from datetime import UTC, date, datetime

import pytest

from client.core.registration.biometrics import BiometricCapture, BiometricPolicy
from client.core.registration.workflow import Registration, Step, WorkflowError
from tests.unit.client.core.registration import test_workflow as base

engine = base.engine  # the demo schema and UI spec, as a fixture here too
POLICY = BiometricPolicy(thresholds={"finger": 60, "iris": 60, "face": 50}, max_retries=2)
IRIS = ("Left", "Right")


def at_biometrics(engine, **kw) -> Registration:
    reg = Registration(engine=engine, policy=POLICY, operator_id="op1", today=date(2026, 6, 1), **kw)
    base.through_documents(reg)
    assert reg.step is Step.BIOMETRICS
    return reg


def iris(*qualities: int) -> list[BiometricCapture]:
    return [
        BiometricCapture("iris", side, q, b"I" + side.encode())
        for side, q in zip(IRIS, qualities, strict=True)
    ]


def outcome(o) -> tuple:
    return (o.accepted, o.retry_allowed, o.attempts, o.short, o.threshold)


def test_a_good_capture_is_accepted_at_once(engine):
    reg = at_biometrics(engine)
    assert outcome(reg.record_capture(group="irises", records=iris(60, 99))) == (True, False, 1, (), 60)


def test_a_poor_or_missing_side_may_be_retried_then_the_best_is_kept(engine):
    reg = at_biometrics(engine)
    assert outcome(reg.record_capture(group="irises", records=iris(59, 90))) == (
        False,
        True,
        1,
        ("Left",),
        60,
    )
    last = reg.record_capture(group="irises", records=iris(40, 95)[1:])
    assert outcome(last) == (True, False, 2, ("Left",), 60)  # retries used up: the best is kept
    assert reg.captures[("iris", "Left")].quality == 59 and reg.captures[("iris", "Right")].quality == 95


def test_a_side_never_captured_is_not_accepted_even_after_the_retries(engine):
    reg = at_biometrics(engine)
    only_right = iris(90, 90)[1:]
    assert outcome(reg.record_capture(group="irises", records=only_right)) == (False, True, 1, ("Left",), 60)
    assert outcome(reg.record_capture(group="irises", records=only_right)) == (False, False, 2, ("Left",), 60)


def test_an_equal_quality_keeps_the_first_record(engine):
    reg = at_biometrics(engine)
    reg.record_capture(group="face", records=[BiometricCapture("face", "Face", 70, b"first")])
    reg.record_capture(group="face", records=[BiometricCapture("face", "Face", 70, b"second")])
    assert reg.captures[("face", "Face")].record == b"first"


def test_a_modality_without_a_threshold_accepts_any_quality(engine):
    policy = BiometricPolicy(thresholds={}, max_retries=2)
    reg = Registration(engine=engine, policy=policy, operator_id="op1", today=date(2026, 6, 1))
    base.through_documents(reg)
    assert outcome(reg.record_capture(group="irises", records=iris(0, 0))) == (True, False, 1, (), 0)


@pytest.mark.parametrize(
    ("group", "record", "words"),
    [
        ("irises", BiometricCapture("finger", "Left", 90, b"x"), "finger/Left does not belong to irises"),
        ("irises", BiometricCapture("iris", "Face", 90, b"x"), "iris/Face does not belong to irises"),
    ],
)
def test_a_record_of_another_group_is_refused(engine, group, record, words):
    reg = at_biometrics(engine)
    with pytest.raises(WorkflowError, match=f"^{words}$"):
        reg.record_capture(group=group, records=[record])


def test_an_excepted_side_is_neither_missing_nor_kept(engine):
    reg = at_biometrics(engine)
    reg.record_capture(group="irises", records=iris(90, 90))
    reg.mark_exception(modality="iris", bio_subtype="Left", reason=" ")
    assert ("iris", "Left") not in reg.captures and ("iris", "Right") in reg.captures
    assert reg.exceptions[("iris", "Left")].modality == "iris"
    assert reg.exceptions[("iris", "Left")].reason == "missing"  # blank reads as missing
    later = reg.record_capture(group="irises", records=iris(95, 95))
    assert ("iris", "Left") not in reg.captures and outcome(later) == (True, False, 2, (), 60)


def test_exception_refusals_are_worded(engine):
    reg = at_biometrics(engine)
    with pytest.raises(WorkflowError) as caught:
        reg.mark_exception(modality="iris", bio_subtype="Left", reason="lost")
    assert (
        str(caught.value)
        == "unknown exception reason 'lost'; expected one of ('missing', 'amputated', 'temporary')"
    )
    for modality, subtype in (("iris", "Middle"), ("finger", "Left")):
        with pytest.raises(WorkflowError) as caught:
            reg.mark_exception(modality=modality, bio_subtype=subtype)
        assert str(caught.value) == f"{modality}/{subtype} is not captured in this registration"
    with pytest.raises(WorkflowError) as caught:
        reg.mark_exception(modality="face", bio_subtype="Face")
    assert str(caught.value) == "the face cannot be marked as an exception"


def test_the_signed_off_record_carries_everything_entered(engine):
    reg = at_biometrics(engine, prereg_id="PRE-7")
    base.capture_all(reg)
    reg.record_capture(group="irises", records=iris(90, 90))
    assert reg.submit_biometrics() == {}
    preview = reg.preview()
    assert preview["documents"] == {"proofOfIdentity": "p.pdf"}
    assert "iris/Left:90" in preview["biometrics"] and preview["exceptions"] == []
    assert preview["supervisor_id"] is None and preview["process"] == reg.process
    with pytest.raises(WorkflowError) as caught:
        reg.sign_off(operator_id="op2")
    assert str(caught.value) == "only the officer who made the registration can sign it off"
    before = datetime.now(UTC)
    done = reg.sign_off(operator_id="op1")
    assert done.operator_id == "op1" and done.prereg_id == "PRE-7"
    assert [d.name for d in done.documents] == ["p.pdf"]
    assert done.approval_reasons == [] and done.retries == {g: 1 for g in done.retries} | {"irises": 2}
    assert done.started_at == reg.started_at <= before <= done.signed_off_at <= datetime.now(UTC)
    assert done.signed_off_at.tzinfo is not None
    assert done.ui_spec_version == engine.ui_spec.version and done.schema_version == engine.schema.version
    assert done.consent is None and done.process == reg.process  # no consent text was shown
    with pytest.raises(WorkflowError) as caught:
        reg.cancel()
    assert str(caught.value) == "a signed-off registration cannot be cancelled"


def test_a_registration_can_be_cancelled_before_sign_off(engine):
    reg = at_biometrics(engine)
    reg.cancel()
    assert reg.step is Step.CANCELLED

"""A finger or eye marked as an exception carries one of the known reasons into the signed-off record."""

import pytest

from client.core.registration.biometrics import EXCEPTION_REASONS
from client.core.registration.workflow import WorkflowError

from .test_workflow import capture_all, engine, new, through_documents  # noqa: F401 (fixture)


@pytest.mark.parametrize("reason", EXCEPTION_REASONS)
def test_each_known_reason_reaches_the_signed_off_registration(engine, reason):  # noqa: F811
    reg = new(engine)
    through_documents(reg)
    capture_all(reg, skip=("Right RingFinger",))
    reg.mark_exception(modality="finger", bio_subtype="Right RingFinger", reason=reason)
    reg.set_exception_photo(b"\xff\xd8photo")
    assert reg.submit_biometrics() == {}
    reg.approve_by_supervisor(supervisor_id="sup1")
    done = reg.sign_off(operator_id="op1")
    assert [(e.bio_subtype, e.reason) for e in done.exceptions] == [("Right RingFinger", reason)]


def test_unknown_reason_is_refused_and_a_mark_can_be_cleared(engine):  # noqa: F811
    reg = new(engine)
    through_documents(reg)
    with pytest.raises(WorkflowError):
        reg.mark_exception(modality="finger", bio_subtype="Left Thumb", reason="lost it")
    reg.mark_exception(modality="finger", bio_subtype="Left Thumb", reason=" ")
    assert reg.exceptions[("finger", "Left Thumb")].reason == "missing"
    reg.clear_exception(modality="finger", bio_subtype="Left Thumb")
    assert not reg.exceptions

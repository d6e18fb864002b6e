"""The matcher wrappers: the same synthetic person scores high, another person low, bad bytes are refused."""

from __future__ import annotations

import cv2
import pytest

from abis_service.faces import FaceNotFound, compare_faces, face_template, load_face_template
from abis_service.fingers import compare_fingers, finger_template, load_finger_template
from abis_service.irises import IrisNotFound, compare_irises, iris_template, load_iris_template
from abis_service.templates import TemplateError, load, score, templates_from_cbeff
from demo.synthetic import person_face, person_finger, person_iris
from sync_server.abis import mosip
from tests.integration.abis.people import records_of


def test_fingers_of_one_person_match_and_of_another_do_not() -> None:
    enrolled = load_finger_template(finger_template(person_finger(4, 1)))
    again = load_finger_template(finger_template(person_finger(4, 1, impression=2)))
    other = load_finger_template(finger_template(person_finger(5, 1, impression=2)))
    assert compare_fingers(again, enrolled) >= 90
    assert compare_fingers(other, enrolled) <= 40


def test_irises_of_one_person_match_and_of_another_do_not() -> None:
    enrolled = load_iris_template(iris_template(person_iris(4, "Left")))
    assert (
        compare_irises(load_iris_template(iris_template(person_iris(4, "Left", impression=3))), enrolled)
        >= 90
    )
    assert compare_irises(load_iris_template(iris_template(person_iris(5, "Left"))), enrolled) == 0
    with pytest.raises(IrisNotFound):
        iris_template(cv2.cvtColor(person_face(1), cv2.COLOR_BGR2GRAY) * 0 + 200)


def test_face_templates_round_trip_and_a_blank_image_has_no_face() -> None:
    gray = cv2.cvtColor(person_face(4), cv2.COLOR_BGR2GRAY)
    template = load_face_template(face_template(gray))
    assert compare_faces(template, template) == 100
    with pytest.raises(FaceNotFound):
        face_template(gray * 0 + 128)


@pytest.mark.parametrize("loader", [load_finger_template, load_iris_template, load_face_template])
def test_bytes_that_are_no_template_are_refused(loader) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        loader(b"not a template")


def test_fused_scores_per_modality_from_cbeff() -> None:
    enrolled = load(templates_from_cbeff(mosip.cbeff_of(records_of(6))))
    fused, per_modality = score(
        load(templates_from_cbeff(mosip.cbeff_of(records_of(6, impression=1)))), enrolled
    )
    assert set(per_modality) == {"finger", "iris", "face"} and fused >= 80
    with pytest.raises(TemplateError, match="cannot be read"):
        templates_from_cbeff(b"<not-cbeff")

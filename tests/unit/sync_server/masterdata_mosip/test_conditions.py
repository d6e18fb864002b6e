"""MOSIP's MVEL conditions in OpenReg's condition language: the common forms convert and mean the same;
the rest is refused with a reason."""

import datetime as dt

import pytest

from shared.forms import evaluate_condition
from sync_server.masterdata_mosip.conditions import (
    ConditionContext,
    NotConvertible,
    convert_condition,
    convert_mvel,
)

CTX = ConditionContext(
    fields={
        "dateOfBirth": "dateOfBirth",
        "introducerUIN": "introducerUIN",
        "gender": "gender",
        "proofOfException-1": "proofOfException_1",
        "height": "height",
    },
    dropped={"zone": "no zone level"},
    date_of_birth="dateOfBirth",
)
TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("mvel", "expected"),
    [
        ("identity.get('ageGroup') == 'INFANT'", "age(dateOfBirth) <= 5"),
        ("identity.get('ageGroup') != 'MINOR'", "not (6 <= age(dateOfBirth) <= 17)"),
        ("!(identity.get('ageGroup') == 'INFANT')", "not age(dateOfBirth) <= 5"),
        (
            "identity.get('introducerUIN') == nil || identity.get('introducerUIN') == empty",
            "empty(introducerUIN)",
        ),
        ("identity.introducerUIN != empty", "not empty(introducerUIN)"),
        ("identity['gender'] == \"FLE\"", "gender == 'FLE'"),
        ("identity.get('proofOfException-1') == null", "proofOfException_1 == null"),
        (
            "identity.get('height') >= 120 && (identity.get('gender') == 'MLE' || identity.get('gender') == 'FLE')",
            "height >= 120 and (gender == 'MLE' or gender == 'FLE')",
        ),
        ("120 < identity.get('height')", "height > 120"),
    ],
)
def test_common_forms_convert(mvel, expected):
    assert convert_mvel(mvel, CTX) == expected


def test_age_groups_mean_what_mosip_means():
    infant = convert_mvel("identity.get('ageGroup') == 'INFANT'", CTX)
    adult = convert_mvel("identity.get('ageGroup') == 'ADULT'", CTX)
    for born, is_infant in (("2021-06-02", True), ("2020-06-01", False), ("1990-01-01", False)):
        assert evaluate_condition(infant, {"dateOfBirth": born}, today=TODAY) is is_infant
    assert evaluate_condition(adult, {"dateOfBirth": "1990-01-01"}, today=TODAY)
    assert not evaluate_condition(infant, {}, today=TODAY)  # no date of birth: not an infant


def test_update_groups_read_as_a_filled_field():
    ctx = ConditionContext(
        fields={"addressLine1": "addressLine1", "city": "city"},
        update_groups={"Address": ("addressLine1", "city")},
    )
    text = convert_mvel("identity.updatableFieldGroups contains 'Address'", ctx)
    assert text == "not empty(addressLine1) or not empty(city)"
    assert evaluate_condition(text, {"city": "C1"}) and not evaluate_condition(text, {})
    with pytest.raises(NotConvertible, match="documents"):
        convert_mvel("identity.updatableFieldGroups contains 'Biometrics'", ctx)
    with pytest.raises(NotConvertible, match="only in an update"):
        convert_mvel("identity.updatableFieldGroups contains 'Address'", CTX)


@pytest.mark.parametrize(
    ("mvel", "why"),
    [
        ("identity.get('zone') == 'Z1'", "not converted \\(no zone level\\)"),
        ("identity.get('nickname') == 'x'", "not a field"),
        ("identity.get('ageGroup') == 'ELDER'", "unknown age group"),
        ("identity.get('gender').equals('FLE')", "method calls"),
        ("java.lang.Runtime.getRuntime().exec('x')", "not a value"),
        ("identity.get('gender')", "on its own"),
        ("identity.get('gender') == 'x' ; 1", "unexpected"),
        ("", "empty"),
    ],
)
def test_other_forms_are_refused_with_a_reason(mvel, why):
    with pytest.raises(NotConvertible, match=why):
        convert_mvel(mvel, CTX)


def test_only_mvel_conditions_convert():
    assert convert_condition({"engine": "mvel", "expr": "identity.gender == 'MLE'"}, CTX) == "gender == 'MLE'"
    with pytest.raises(NotConvertible, match="not MVEL"):
        convert_condition({"engine": "JS", "expr": "x"}, CTX)
    with pytest.raises(NotConvertible, match="longer"):
        convert_mvel("identity.gender == 'x' || " * 200 + "identity.gender == 'y'", CTX)

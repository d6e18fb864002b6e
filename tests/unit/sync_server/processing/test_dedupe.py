import pytest

from sync_server.processing.dedupe import (
    DedupeConfig,
    DedupeKeyError,
    dedupe_key,
    normalise_date,
    normalise_name,
)

CONFIG = DedupeConfig(exact_fields=("postalCode",))


def person(**overrides):
    base = {"fullName": "José  María O'Neil", "dateOfBirth": "1990-04-03", "postalCode": "10101"}
    return base | overrides


def test_names_are_casefolded_unaccented_and_spaces_collapsed():
    assert normalise_name("  José  María\tO'Neil ") == "jose maria o neil"
    assert normalise_name("STRASSE") == normalise_name("straße")
    assert normalise_name("محمد  علي") == "محمد علي"


def test_dates_in_common_shapes_normalise_to_iso():
    assert normalise_date("1990/04/03") == normalise_date("03/04/1990") == "1990-04-03"
    assert normalise_date("1990-04-03T00:00:00") == "1990-04-03"
    with pytest.raises(ValueError):
        normalise_date("yesterday")


def test_iso_dates_take_the_quick_path_with_the_same_answers():
    assert normalise_date(" 2024-02-29 ") == "2024-02-29"
    assert normalise_date("1990-4-3") == "1990-04-03"  # not zero-padded: the slower parser takes it
    for impossible in ("2023-02-29", "1990-13-01", "1990-00-10"):
        with pytest.raises(ValueError, match="not a date"):
            normalise_date(impossible)


def test_same_person_typed_differently_has_the_same_key():
    a = dedupe_key(person(), config=CONFIG)
    assert a == dedupe_key(person(fullName="jose maria o'neil", dateOfBirth="03/04/1990"), config=CONFIG)
    assert a == dedupe_key(
        person(fullName=[{"language": "eng", "value": "JOSE  MARÍA O-NEIL"}]), config=CONFIG
    )


def test_different_dob_or_location_is_a_different_person():
    a = dedupe_key(person(), config=CONFIG)
    assert a != dedupe_key(person(dateOfBirth="1990-04-04"), config=CONFIG)
    assert a != dedupe_key(person(postalCode="10102"), config=CONFIG)


def test_fields_are_configurable_and_multilingual_values_supported():
    config = DedupeConfig.from_mapping({"name_fields": ["firstName", "lastName"], "exact_fields": []})
    record = {
        "firstName": [{"language": "eng", "value": "Ana"}],
        "lastName": "Lee",
        "dateOfBirth": "2001-01-01",
    }
    other = record | {"postalCode": "99999", "firstName": "ANA"}
    assert dedupe_key(record, config=config) == dedupe_key(other, config=config)


def test_missing_field_is_an_error_not_a_silent_match():
    with pytest.raises(DedupeKeyError):
        dedupe_key(person(dateOfBirth=""), config=CONFIG)

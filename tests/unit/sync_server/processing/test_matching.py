"""Demographic matching: typos, swapped dates, phonetic spellings and other scripts score as a
person would judge them; unrelated people do not."""

import pytest

from sync_server.processing.dedupe import DedupeConfig, date_variants
from sync_server.processing.matching import date_score, name_score, score

CONFIG = DedupeConfig()
AMINA = {"fullName": "Amina Diallo", "dateOfBirth": "1990-04-03", "city": "C1"}


@pytest.mark.parametrize(
    ("left", "right", "at_least"),
    [
        ("Amina Diallo", "AMINA  DIALLO", 100),
        ("Amina Diallo", "Diallo Amina", 100),  # word order
        ("Amina Diallo", "Amina Dialo", 90),  # a letter dropped
        ("Emmanuel Lefèvre", "Mmmanuel Lefèvre", 90),  # the first letter changed
        ("Mohamed Ali", "Muhammad Ali", 95),  # phonetic
        ("أمينة ديالو", "أمينة ديالو", 100),  # Arabic script, compared as text
    ],
)
def test_names_a_person_would_call_the_same_score_high(left, right, at_least):
    assert name_score(left, right) >= at_least


def test_unrelated_names_score_low():
    assert name_score("Amina Diallo", "Kofi Mensah") < 50


def test_date_typos_are_candidates_and_scored_below_an_exact_date():
    assert date_variants("1990-04-03")[:2] == ["1990-04-03", "1990-03-04"]
    assert "9190-04-03" not in date_variants("1990-04-03")  # no one's year of birth
    assert (date_score("1990-04-03", "1990-04-03"), date_score("1990-04-03", "1990-03-04")) == (100, 90)
    assert date_score("1990-04-03", "1991-04-03") == 75
    assert date_score("1990-04-03", "1975-11-20") == 0


def test_the_total_weighs_name_date_and_place():
    same = score(AMINA, AMINA | {"fullName": "Amina Dialo"}, config=CONFIG)
    other = score(AMINA, AMINA | {"fullName": "Kofi Mensah"}, config=CONFIG)
    moved = score(AMINA, AMINA | {"city": "C2"}, config=CONFIG)
    assert same.total >= CONFIG.low > other.total
    assert moved.location == 0 and moved.total == pytest.approx(85)


def test_thresholds_from_config_are_checked():
    assert DedupeConfig.from_mapping({"high": 90, "low": 70}).low == 70
    with pytest.raises(ValueError, match="low <= high"):
        DedupeConfig.from_mapping({"high": 60, "low": 70})

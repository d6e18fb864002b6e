import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.rid import MAX_SEQUENCE, RidError, format_rid, is_valid_rid, next_sequence, parse_rid

WHEN = datetime(2026, 11, 22, 9, 5, 7, tzinfo=UTC)


def test_format_is_29_digits_in_mosip_layout():
    rid = format_rid(center_id=10001, machine_id=42, sequence=7, created_at=WHEN)
    assert rid == "10001000420000720261122090507"
    assert len(rid) == 29


def test_timestamp_is_rendered_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # whatever the kiosk's own zone
    time.tzset()
    try:
        local = WHEN.astimezone(timezone(timedelta(hours=3)))
        assert format_rid(center_id=1, machine_id=1, sequence=1, created_at=local).endswith("20261122090507")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_largest_parts_are_allowed():
    rid = format_rid(center_id=99_999, machine_id=99_999, sequence=MAX_SEQUENCE, created_at=WHEN)
    assert rid.startswith("999999999999999")


@given(
    center=st.integers(0, 99_999),
    machine=st.integers(0, 99_999),
    sequence=st.integers(1, MAX_SEQUENCE),
    when=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
)
def test_parse_inverts_format(center, machine, sequence, when):
    when = when.replace(microsecond=0)
    rid = parse_rid(format_rid(center_id=center, machine_id=machine, sequence=sequence, created_at=when))
    assert (rid.center_id, rid.machine_id, rid.sequence, rid.created_at) == (center, machine, sequence, when)
    assert str(rid) == format_rid(center_id=center, machine_id=machine, sequence=sequence, created_at=when)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1000100042000072026112209050", "RID must be 29 digits, got 28 characters"),
        ("1000100042000072026112209050x", "RID must contain digits only"),
        ("10001000420000720261322090507", "RID timestamp 20261322090507 is not a valid UTC date and time"),
        ("10001000420000020261122090507", "RID sequence 00000 is never issued"),
        (10001000420000720261122090507, "RID must be a string"),
    ],
)
def test_parse_refuses_malformed_with_the_words_people_see(text, message):
    with pytest.raises(RidError) as refused:
        parse_rid(text)
    assert str(refused.value) == message
    assert not is_valid_rid(text)


def test_a_well_formed_rid_is_valid():
    assert is_valid_rid("10001000420000720261122090507")


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"created_at": datetime(2026, 1, 1)}, "created_at must be timezone-aware"),
        ({"center_id": 100_000}, "center id must be an integer 0..99999, got 100000"),
        ({"center_id": True}, "center id must be an integer 0..99999, got True"),
        ({"machine_id": -1}, "machine id must be an integer 0..99999, got -1"),
        ({"sequence": 0}, "sequence must be 1..99999, got 0"),
    ],
)
def test_naive_time_and_out_of_range_parts_refused(parts, message):
    with pytest.raises(RidError) as refused:
        format_rid(**{"center_id": 1, "machine_id": 1, "sequence": 1, "created_at": WHEN, **parts})
    assert str(refused.value) == message


def test_sequence_wraps_to_one_and_never_zero():
    assert next_sequence(0) == 1
    assert next_sequence(41) == 42
    assert next_sequence(MAX_SEQUENCE) == 1
    for stored in (MAX_SEQUENCE + 1, -1, "7"):
        with pytest.raises(RidError) as refused:
            next_sequence(stored)
        assert str(refused.value) == f"stored sequence {stored!r} is out of range"

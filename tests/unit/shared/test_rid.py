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


def test_timestamp_is_rendered_in_utc():
    local = WHEN.astimezone(timezone(timedelta(hours=3)))
    assert format_rid(center_id=1, machine_id=1, sequence=1, created_at=local).endswith("20261122090507")


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
        ("1000100042000072026112209050", "29 digits"),
        ("1000100042000072026112209050x", "digits only"),
        ("10001000420000720261322090507", "not a valid UTC date"),
        ("10001000420000020261122090507", "00000"),
    ],
)
def test_parse_refuses_malformed(text, message):
    with pytest.raises(RidError, match=message):
        parse_rid(text)
    assert not is_valid_rid(text)


def test_naive_time_and_out_of_range_parts_refused():
    with pytest.raises(RidError, match="timezone-aware"):
        format_rid(center_id=1, machine_id=1, sequence=1, created_at=datetime(2026, 1, 1))
    with pytest.raises(RidError, match="center id"):
        format_rid(center_id=100_000, machine_id=1, sequence=1, created_at=WHEN)
    with pytest.raises(RidError, match="sequence"):
        format_rid(center_id=1, machine_id=1, sequence=0, created_at=WHEN)


def test_sequence_wraps_to_one_and_never_zero():
    assert next_sequence(0) == 1
    assert next_sequence(41) == 42
    assert next_sequence(MAX_SEQUENCE) == 1
    with pytest.raises(RidError):
        next_sequence(MAX_SEQUENCE + 1)

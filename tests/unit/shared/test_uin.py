"""shared.uin: the kiosk's check of a typed UIN agrees with the ID store's rules (sync_server.idstore.uin)."""

import random

import pytest

from shared.uin import MAX_INPUT, UinError, check_uin, normalise_uin, verhoeff_check_digit, verhoeff_valid
from sync_server.idstore.uin import generate_uin


def test_every_issued_uin_passes_and_every_single_typo_or_swap_is_caught():
    rng = random.Random(17)
    for _ in range(200):
        uin = generate_uin(randbelow=rng.randrange)
        assert check_uin(uin) == uin and verhoeff_valid(uin)
        position = rng.randrange(len(uin))
        typo = uin[:position] + str((int(uin[position]) + 1 + rng.randrange(9)) % 10) + uin[position + 1 :]
        assert not verhoeff_valid(typo)
        swap = rng.randrange(len(uin) - 1)
        swapped = uin[:swap] + uin[swap + 1] + uin[swap] + uin[swap + 2 :]
        assert swapped == uin or not verhoeff_valid(swapped)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("48291a6370", "digits"),
        ("4829X156370", "digits"),  # only spaces and dashes are dropped, never letters
        ("٤٨٢٩١٥٦٣٧٠", "digits"),  # Arabic-Indic digits are not a UIN's
        ("482915637", "length"),
        ("0829156370", "leading_zero"),
        ("4829156371", "check_digit"),
        ("9" * 100, "length"),
    ],
)
def test_a_malformed_uin_says_why(typed, code):
    with pytest.raises(UinError) as caught:
        check_uin(typed)
    assert caught.value.code == code and caught.value.length == 10


def test_spaces_and_dashes_people_group_digits_with_are_dropped():
    assert check_uin("4829-156 370") == "4829156370"


@pytest.mark.parametrize(("digits", "check"), [("236", "3"), ("12345", "1"), ("2", "7"), ("482915637", "0")])
def test_check_digits_are_verhoeffs_published_ones(digits, check):
    # 236 -> 2363 and 12345 -> 123451 are the worked examples of Verhoeff's scheme; an implementation
    # that only agrees with itself (the ID store issues UINs with this same function) would miss them.
    assert verhoeff_check_digit(digits) == check
    assert verhoeff_valid(digits + check)


@pytest.mark.parametrize("bad", ["12a", "٤٨٢", "", " 12"])
def test_a_check_digit_is_only_computed_for_ascii_digits(bad):
    with pytest.raises(ValueError, match="not a digit string"):
        verhoeff_check_digit(bad)


def test_a_lone_digit_or_non_digits_are_never_valid():
    assert not verhoeff_valid("0")  # its checksum is 0, but there is no number before the check digit
    assert verhoeff_valid("27")
    assert not verhoeff_valid("2x")
    assert not verhoeff_valid("٢٧")


def test_input_up_to_the_limit_is_read_and_longer_input_refused_unread():
    padded = "4829156370".ljust(MAX_INPUT)
    assert len(padded) == MAX_INPUT and check_uin(padded) == "4829156370"
    with pytest.raises(UinError) as caught:
        check_uin(padded + " ")
    assert caught.value.code == "length" and str(caught.value) == "a UIN has 10 digits"
    assert normalise_uin("1" * (MAX_INPUT + 5)) == "1" * MAX_INPUT


def test_no_break_spaces_are_dropped_like_spaces():
    assert normalise_uin("4829\u00a0156\u00a0370") == "4829156370"
    assert normalise_uin("48-29 15") == "482915"


def test_a_deployment_length_is_checked_and_reported():
    uin = generate_uin(length=12, randbelow=random.Random(5).randrange)
    assert check_uin(uin, length=12) == uin
    with pytest.raises(UinError) as caught:
        check_uin(uin[:-1], length=12)
    assert caught.value.length == 12 and str(caught.value) == "a UIN has 12 digits, not 11"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "the UIN is empty"),
        ("48291a6370", "a UIN is digits only"),
        ("0829156370", "a UIN does not start with 0"),
        ("4829156371", "the UIN's check digit is wrong: a digit is mistyped"),
    ],
)
def test_each_refusal_is_worded_for_the_log(typed, message):
    with pytest.raises(UinError, match=f"^{message}$"):
        check_uin(typed)

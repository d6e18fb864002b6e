import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_server.idstore.uin import (
    UIN_LENGTH,
    UinError,
    check_uin,
    generate_uin,
    verhoeff_check_digit,
    verhoeff_valid,
)


def test_known_verhoeff_vectors():
    # Published examples: 236 -> 3, 12345 -> 1, 142857 -> 0.
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_check_digit("12345") == "1"
    assert verhoeff_check_digit("142857") == "0"
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")


@given(st.text(alphabet="0123456789", min_size=2, max_size=20))
def test_check_digit_catches_single_digit_errors_and_adjacent_swaps(body):
    number = body + verhoeff_check_digit(body)
    assert verhoeff_valid(number)
    for i, digit in enumerate(number):
        for other in "0123456789":
            if other != digit:
                assert not verhoeff_valid(number[:i] + other + number[i + 1 :])
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not verhoeff_valid(swapped)


def test_generated_uins_are_fixed_length_valid_and_not_sequential():
    issued = [generate_uin() for _ in range(2000)]
    assert all(len(u) == UIN_LENGTH and check_uin(u) == u for u in issued)
    assert len(set(issued)) == len(issued)
    as_ints = sorted(int(u) for u in issued)
    # Random over the space, not a counter: spread across most of the range.
    assert as_ints[-1] - as_ints[0] > 10 ** (UIN_LENGTH - 1) * 5
    assert not any(int(b) - int(a) == 1 for a, b in itertools.pairwise(issued))


def test_patterned_bodies_are_refused():
    digits = iter("1" + "234567890" * 3 + "9" + "71829304")  # first try is 1234..., so it is skipped
    rng = random.Random(7)

    def randbelow(n):
        try:
            return int(next(digits)) % n
        except StopIteration:
            return rng.randrange(n)

    uin = generate_uin(randbelow=randbelow)
    assert not uin.startswith("1234")
    check_uin(uin)


@pytest.mark.parametrize("bad", ["", "123", "0123456789", "12345678901", "abcdefghij", "2363000001"])
def test_malformed_uins_are_refused(bad):
    with pytest.raises(UinError):
        check_uin(bad)

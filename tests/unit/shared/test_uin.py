"""shared.uin: the kiosk's check of a typed UIN agrees with the ID store's rules (sync_server.idstore.uin)."""

import random

import pytest

from shared.uin import UinError, check_uin, verhoeff_valid
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

"""UIN issue: random, fixed-length numbers ending in a Verhoeff check digit.

Randomness (``secrets``) keeps UINs from leaking registration order or volume; the check digit
catches every single-digit typo and every adjacent transposition when a UIN is keyed in by hand.
Uniqueness is not decided here: the ``uins`` table's primary key enforces it (see
``IdStore.issue_uin`` in ``store.py``), so two workers can never hand out the same number.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable

# Verhoeff tables: multiplication in the dihedral group D5, the position permutation and the inverse.
_MULTIPLY = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_PERMUTE = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INVERSE = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

UIN_LENGTH = 10


class UinError(ValueError):
    """A string that is not a well-formed UIN."""


def _checksum(digits: str, *, offset: int) -> int:
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _MULTIPLY[check][_PERMUTE[(position + offset) % 8][int(char)]]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits``."""
    if not digits.isdigit():
        raise UinError(f"not a digit string: {digits!r}")
    return str(_INVERSE[_checksum(digits, offset=1)])


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is its Verhoeff check digit."""
    return number.isdigit() and len(number) >= 2 and _checksum(number, offset=0) == 0


def _looks_guessable(body: str) -> bool:
    """Refuse bodies a person would read as a pattern (like MOSIP's UIN filters)."""
    if len(set(body)) <= 2:
        return True
    for run in range(len(body) - 3):
        window = [int(c) for c in body[run : run + 4]]
        steps = {b - a for a, b in itertools.pairwise(window)}
        if steps in ({1}, {-1}, {0}):  # 1234, 4321, 1111 anywhere in the number
            return True
    return False


def generate_uin(*, length: int = UIN_LENGTH, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A random UIN of exactly ``length`` digits: no leading zero, no obvious pattern, Verhoeff-checked."""
    if length < 4:
        raise UinError("a UIN needs at least 4 digits")
    while True:
        body = str(1 + randbelow(9)) + "".join(str(randbelow(10)) for _ in range(length - 2))
        if not _looks_guessable(body):
            return body + verhoeff_check_digit(body)


def check_uin(uin: str, *, length: int = UIN_LENGTH) -> str:
    """Return ``uin`` if it is well formed, else raise ``UinError``."""
    if len(uin) != length or not uin.isdigit() or uin[0] == "0":
        raise UinError(f"UIN must be {length} digits without a leading zero: {uin!r}")
    if not verhoeff_valid(uin):
        raise UinError(f"UIN check digit is wrong: {uin!r}")
    return uin

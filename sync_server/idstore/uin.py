"""UIN issue: random, fixed-length numbers ending in a Verhoeff check digit.

Randomness (``secrets``) keeps UINs from leaking registration order or volume; the check digit
(``shared.uin``, which the kiosk checks typed UINs with) catches every single-digit typo and every adjacent transposition when a UIN is keyed in by hand.
Uniqueness is not decided here: the ``uins`` table's primary key enforces it (see
``IdStore.issue_uin`` in ``store.py``), so two workers can never hand out the same number.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable

from shared.uin import verhoeff_check_digit as _check_digit
from shared.uin import verhoeff_valid

UIN_LENGTH = 10


class UinError(ValueError):
    """A string that is not a well-formed UIN."""


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits`` (``shared.uin``, the kiosk's check)."""
    try:
        return _check_digit(digits)
    except ValueError as exc:
        raise UinError(str(exc)) from None


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

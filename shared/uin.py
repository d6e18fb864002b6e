"""Check a UIN typed by hand: the length, digits only, no leading zero, and its Verhoeff check digit.

The same rules the ID store issues UINs by (sync_server/idstore/uin.py): random fixed-length numbers
ending in a Verhoeff check digit, which catches every single-digit typo and every swap of two adjacent
digits. The kiosk checks a resident's UIN with this before an update packet is sealed, so a typo is
said at the counter instead of days later by the server. Pure functions: no I/O.
"""

from __future__ import annotations

# Verhoeff's tables: multiplication in the dihedral group D5, the position permutation, the inverse.
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

UIN_LENGTH = 10  # the ID store's default; a deployment may set another (master-data config ``uin.length``)
MAX_INPUT = 64  # longer input is refused before it is looked at


class UinError(ValueError):
    """Not a well-formed UIN. ``code`` says why, for a UI to word: ``empty``, ``digits``, ``length``,
    ``leading_zero`` or ``check_digit``; ``length`` is the length expected."""

    def __init__(self, code: str, message: str, *, length: int) -> None:
        super().__init__(message)
        self.code, self.length = code, length


_INVERSE = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _checksum(digits: str, *, offset: int) -> int:
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _MULTIPLY[check][_PERMUTE[(position + offset) % 8][int(char)]]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits`` (ASCII digits; ``ValueError`` otherwise)."""
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"not a digit string: {digits[:MAX_INPUT]!r}")
    return str(_INVERSE[_checksum(digits, offset=1)])


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is the Verhoeff check digit of the digits before it."""
    if not (number.isascii() and number.isdigit()) or len(number) < 2:
        return False
    return _checksum(number, offset=0) == 0


def normalise_uin(raw: str) -> str:
    """What the officer typed, without the spaces and dashes people group digits with."""
    return "".join(c for c in raw[:MAX_INPUT] if c not in " -\u00a0")


def check_uin(raw: str, *, length: int = UIN_LENGTH) -> str:
    """The UIN in ``raw`` (spaces and dashes dropped) if it is well formed, else raise :class:`UinError`."""
    if len(raw) > MAX_INPUT:
        raise UinError("length", f"a UIN has {length} digits", length=length)
    uin = normalise_uin(raw)
    if not uin:
        raise UinError("empty", "the UIN is empty", length=length)
    if not (uin.isascii() and uin.isdigit()):
        raise UinError("digits", "a UIN is digits only", length=length)
    if len(uin) != length:
        raise UinError("length", f"a UIN has {length} digits, not {len(uin)}", length=length)
    if uin[0] == "0":
        raise UinError("leading_zero", "a UIN does not start with 0", length=length)
    if not verhoeff_valid(uin):
        raise UinError("check_digit", "the UIN's check digit is wrong: a digit is mistyped", length=length)
    return uin

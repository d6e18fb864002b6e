"""Registration IDs (RID): 29 digits, as in MOSIP.

Layout: 5-digit center id, 5-digit machine id, 5-digit per-machine sequence, and the UTC
timestamp ``yyyyMMddHHmmss``. A machine never needs to coordinate with anyone: its own
sequence plus the second of creation make each RID unique. The sequence runs 1..99999 and
wraps back to 1 (0 is never used), so a wrap can only collide if one machine made 99,999
registrations within the same second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

RID_LENGTH = 29
MAX_SEQUENCE = 99_999
_RID_RE = re.compile(r"^(\d{5})(\d{5})(\d{5})(\d{14})$")
_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


class RidError(ValueError):
    """A RID (or a part of one) is malformed."""


@dataclass(frozen=True, slots=True)
class Rid:
    center_id: int
    machine_id: int
    sequence: int
    created_at: datetime

    def __str__(self) -> str:
        return format_rid(
            center_id=self.center_id,
            machine_id=self.machine_id,
            sequence=self.sequence,
            created_at=self.created_at,
        )


def _check_part(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 99_999:
        raise RidError(f"{name} must be an integer 0..99999, got {value!r}")


def format_rid(*, center_id: int, machine_id: int, sequence: int, created_at: datetime) -> str:
    """Build the 29-digit RID; ``created_at`` must be timezone-aware and is rendered in UTC."""
    _check_part("center id", center_id)
    _check_part("machine id", machine_id)
    if not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise RidError(f"sequence must be 1..{MAX_SEQUENCE}, got {sequence!r}")
    if created_at.tzinfo is None:
        raise RidError("created_at must be timezone-aware")
    stamp = created_at.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)
    return f"{center_id:05d}{machine_id:05d}{sequence:05d}{stamp}"


def parse_rid(text: str) -> Rid:
    """Validate and split a RID; raise :class:`RidError` naming what is wrong."""
    if not isinstance(text, str):
        raise RidError("RID must be a string")
    if len(text) != RID_LENGTH:
        raise RidError(f"RID must be {RID_LENGTH} digits, got {len(text)} characters")
    match = _RID_RE.match(text)
    if match is None:
        raise RidError("RID must contain digits only")
    center, machine, sequence, stamp = match.groups()
    if int(sequence) == 0:
        raise RidError("RID sequence 00000 is never issued")
    try:
        created_at = datetime.strptime(stamp, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise RidError(f"RID timestamp {stamp} is not a valid UTC date and time") from exc
    return Rid(center_id=int(center), machine_id=int(machine), sequence=int(sequence), created_at=created_at)


def is_valid_rid(text: str) -> bool:
    try:
        parse_rid(text)
    except RidError:
        return False
    return True


def next_sequence(current: int) -> int:
    """The sequence after ``current`` (0 means none issued yet); wraps 99999 -> 1."""
    if not isinstance(current, int) or not 0 <= current <= MAX_SEQUENCE:
        raise RidError(f"stored sequence {current!r} is out of range")
    return 1 if current >= MAX_SEQUENCE else current + 1

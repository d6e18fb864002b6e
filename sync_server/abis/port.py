"""The ABIS port: MOSIP ABIS API semantics (insert, identify against all or a gallery, delete, ping) with
answers that arrive later.

insert / identify / delete only record the request (idempotent by ``request_id``) and return; the
dispatcher delivers it and ``result(request_id)`` returns the answer once there is one. ``ping`` asks the
ABIS directly. Value types are plain and bounded so stages and tests can use them without the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Action = Literal["insert", "identify", "delete"]
Status = Literal["pending", "sent", "answered", "failed"]
MODALITIES = ("finger", "iris", "face")
MAX_RECORDS = 16  # ten fingers, two irises, a face, spare
MAX_RECORD_BYTES = 2 * 1024 * 1024  # one ISO 19794 record; real ones are 50-210 kB
MAX_TOTAL_BYTES = 12 * 1024 * 1024
MAX_GALLERY = 10_000
MAX_RESULTS = 100
MAX_ID_CHARS = 64


class AbisRequestError(ValueError):
    """A request that cannot be queued (bad id, too many or too large records, ...); nothing was stored."""


@dataclass(frozen=True)
class BiometricRecord:
    """One capture for the ABIS, as ``processing.packet_view.BiometricView`` carries it."""

    modality: str  # finger | iris | face
    subtype: str  # "Left Thumb", "Left", "" ...
    format: str  # e.g. "ISO19794_4_2011"
    data: bytes  # the ISO/IEC 19794-4/-5/-6 record


@dataclass(frozen=True)
class Candidate:
    reference_id: str
    score: float  # fused, 0-100
    modality_scores: dict[str, float] = field(default_factory=dict)  # {"finger": 0-100, ...}


@dataclass(frozen=True)
class AbisResult:
    """What the ABIS answered: ``ok`` (MOSIP returnValue 1) with candidates for identify, or a failure."""

    request_id: str
    action: Action
    reference_id: str
    ok: bool
    candidates: tuple[Candidate, ...] = ()
    failure_reason: int | None = None  # MOSIP's failure reason code
    failure_message: str = ""


@dataclass(frozen=True)
class AbisRequestInfo:
    """One row of ``abis_requests`` as the ``on_answer`` callback and status screens see it."""

    request_id: str
    action: Action
    reference_id: str
    status: Status
    attempts: int
    created_at: dt.datetime
    answered_at: dt.datetime | None
    result: AbisResult | None
    last_error: str = ""


class AbisPort(Protocol):
    """What processing needs of an ABIS. Thread-safe; every method returns quickly (no matching)."""

    def insert(self, *, request_id: str, reference_id: str, records: Sequence[BiometricRecord]) -> None:
        """Queue adding ``reference_id`` (a UIN's gallery entry) with ``records``; idempotent by request id."""
        ...

    def identify(
        self,
        *,
        request_id: str,
        reference_id: str,
        records: Sequence[BiometricRecord],
        gallery: Sequence[str] | None = None,
        max_results: int = 10,
    ) -> None:
        """Queue a 1:N search of ``records`` against ``gallery`` (None: everyone); ``reference_id`` names the
        probe (e.g. the RID) and is never its own candidate. Empty ``records``: search with the stored
        entry ``reference_id``."""
        ...

    def delete(self, *, request_id: str, reference_id: str) -> None:
        """Queue removing ``reference_id`` from the gallery."""
        ...

    def ping(self) -> bool:
        """Whether the ABIS answers now (a direct call, bounded by a short timeout)."""
        ...

    def result(self, request_id: str) -> AbisResult | None:
        """The answer to ``request_id``, or None while it is pending or sent (or unknown)."""
        ...

    def request(self, request_id: str) -> AbisRequestInfo | None:
        """The request's row (status, attempts, answer), or None if unknown."""
        ...

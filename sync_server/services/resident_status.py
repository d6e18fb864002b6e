"""A resident's own view of a registration: its status by RID and date of birth, and nothing else.

The processing queue row (``processing_jobs``) holds the status and, once the validate stage has read
the packet, ``resident_check``: the hex ``DataKey.keyed_hash(RESIDENT_PURPOSE, <ISO date of birth>)``
under the data key ``resident_key_id``, so the database holds no birth date to test guesses against.
An unknown RID, a row without a check yet and a wrong date all give the same ``None``: the answer
never tells whether a RID exists. A status carries the state, the reason code of a rejection and the
request text of a "more information" hold; never the UIN, names, center or the operator's reason text.

``ResidentStatusGuard`` bounds how often anyone may ask, per client address and per RID, so guessing
a date of birth takes months rather than minutes. Its buckets live in the server process (as the login
rate limits do: ``services.throttle``); N processes allow N times the rate.

Thread rules: ``look_up_status`` and the guard are safe to call from any request thread.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Engine, select

from shared.rid import RidError, parse_rid
from shared.sync import ErrorCode
from sync_server.idstore.data_key import DataKeyError
from sync_server.processing.dedupe import normalise_date
from sync_server.processing.tables import processing_jobs
from sync_server.services.errors import BadInput, RateLimited
from sync_server.services.throttle import RateLimiter

log = logging.getLogger(__name__)

RESIDENT_PURPOSE = "resident"  # the keyed-hash purpose of ``resident_check``
MAX_RID_INPUT = 64  # characters a typed RID may have, spaces and dashes included
MAX_DATE_INPUT = 32
MAX_REQUEST_TEXT = 1000  # a "more information" request shown to the resident
# Held packets waiting for this reason code need the resident; any other hold is still "processing".
MORE_INFORMATION = "more_information"
# Rejection codes with their own plain words (console.words.resident); any other shows as "other".
KNOWN_REASONS = frozenset(
    {
        "tampered",
        "unknown_machine",
        "undecryptable",
        "invalid_packet",
        "unknown_schema",
        "invalid_demographics",
        "missing_document",
        "missing_biometrics",
        "exception_not_approved",
        "inactive_machine",
        "inactive_operator",
        "inactive_supervisor",
        "capture_in_future",
        "duplicate",
        "not_found",
        "authentication_failed",
    }
)
FLOWS = frozenset({"new", "update", "lost", "correction"})
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_DECOY_KEY = os.urandom(32)  # for the comparison made when there is nothing to compare (same work)


class ResidentState(StrEnum):
    received = "received"
    processing = "processing"
    more_information = "more_information"
    uin_issued = "uin_issued"
    rejected = "rejected"


class KeyedHasher(Protocol):
    def keyed_hash(self, purpose: str, value: str) -> str: ...


class ResidentKeys(Protocol):
    """The server's data keys (``idstore.data_key.DataKeyring``): ``get`` raises for an unknown id."""

    def get(self, key_id: str) -> KeyedHasher: ...


@dataclass(frozen=True)
class ResidentStatus:
    """What a resident may learn. ``reason_code``: a rejection's code (``other`` when it has no plain
    words); ``request``: what a "more information" hold asks for; ``language``: the resident's
    language as the packet recorded it (an ISO 639-3 code, or None)."""

    state: ResidentState
    flow: str = "new"
    reason_code: str | None = None
    request: str | None = None
    language: str | None = None


def _ascii_digits(text: str) -> str:
    # Arabic-Indic and other decimal digits typed on a phone become 0-9.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def read_rid(text: str) -> str:
    """The 29-digit RID in what a resident typed (spaces, dashes, any script's digits); BadInput else."""
    if len(text) > MAX_RID_INPUT:
        raise BadInput(ErrorCode.validation_error, "the RID is too long")
    rid = _ascii_digits("".join(ch for ch in text if not ch.isspace() and ch not in _DASHES))
    try:
        if not rid.isascii():
            raise RidError("RID must contain digits only")
        parse_rid(rid)
    except RidError as exc:
        raise BadInput(ErrorCode.validation_error, f"not a registration ID: {exc}") from exc
    return rid


def read_birth_date(text: str) -> str:
    """The ISO date (``YYYY-MM-DD``) in ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``DD/MM/YYYY`` (the formats
    the processing dedupe reads from packets, so both sides hash the same text); BadInput else."""
    if len(text) > MAX_DATE_INPUT:
        raise BadInput(ErrorCode.validation_error, "the date of birth is too long")
    try:
        return normalise_date(_ascii_digits(text))
    except ValueError as exc:
        raise BadInput(
            ErrorCode.validation_error, "the date of birth must be YYYY-MM-DD, YYYY/MM/DD or DD/MM/YYYY"
        ) from exc


def look_up_status(
    engine: Engine, *, keys: ResidentKeys, rid: str, date_of_birth: str
) -> ResidentStatus | None:
    """The status of registration ``rid`` when ``date_of_birth`` (ISO, from ``read_birth_date``)
    matches its check; None for an unknown RID, a packet not yet validated or a wrong date alike."""
    jobs = processing_jobs.c
    query = select(
        jobs.status,
        jobs.stage,
        jobs.reason_code,
        jobs.reason_text,
        jobs.flow,
        jobs.resident_check,
        jobs.resident_key_id,
        jobs.resident_language,
    ).where(jobs.rid == rid)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if not _birth_date_matches(row, keys, date_of_birth):
        return None
    return status_of(row)


def _birth_date_matches(row: Any, keys: ResidentKeys, date_of_birth: str) -> bool:
    expected = row and row["resident_check"]
    key_id = row and row["resident_key_id"]
    key: KeyedHasher | None = None
    if expected and key_id:
        try:
            key = keys.get(key_id)
        except (DataKeyError, KeyError):
            log.warning("resident status: data key %s of a registration is not held", key_id)
    if key is None or not expected:
        # the same kind of work as a real comparison, so the time taken says nothing either
        decoy = hmac.new(_DECOY_KEY, date_of_birth.encode(), "sha256").hexdigest()
        hmac.compare_digest(decoy, "0" * 64)
        return False
    return hmac.compare_digest(key.keyed_hash(RESIDENT_PURPOSE, date_of_birth), str(expected))


def status_of(row: Any) -> ResidentStatus:
    """A queue row (status, stage, reason_code, reason_text, flow, resident_language) as the resident
    sees it: queued and never run is received; queued, running, retry, failed and held for anything
    but more information is processing (the operator's reason text is never passed on)."""
    status, code = row["status"], row["reason_code"]
    flow = row["flow"] if row["flow"] in FLOWS else "new"
    language = row["resident_language"]
    if status == "processed":
        return ResidentStatus(ResidentState.uin_issued, flow=flow, language=language)
    if status == "rejected":
        reason = code if code in KNOWN_REASONS else "other"
        return ResidentStatus(ResidentState.rejected, flow=flow, reason_code=reason, language=language)
    if status == "held" and code == MORE_INFORMATION:
        request = (row["reason_text"] or "").strip()[:MAX_REQUEST_TEXT] or None
        return ResidentStatus(
            ResidentState.more_information, flow=flow, reason_code=code, request=request, language=language
        )
    if status == "queued" and row["stage"] is None:
        return ResidentStatus(ResidentState.received, flow=flow, language=language)
    return ResidentStatus(ResidentState.processing, flow=flow, language=language)


@dataclass(frozen=True)
class ResidentStatusLimits:
    """How often status may be asked: per client address per minute, and per RID per hour."""

    per_address_per_minute: int = 10
    per_rid_per_hour: int = 20
    max_tracked_rids: int = 50_000


class ResidentStatusGuard:
    """Token buckets (``throttle.RateLimiter``) per client address and per RID. Every request spends
    an address token first; a well-formed one then spends a RID token, whether the RID exists or not
    (so a refusal says nothing about it). Refusals raise ``RateLimited`` with ``retry_after``."""

    def __init__(
        self, limits: ResidentStatusLimits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        limits = limits or ResidentStatusLimits()
        self._addresses = RateLimiter(per_minute=limits.per_address_per_minute, clock=clock)
        # This bucket's clock counts minutes, so its "per minute" rate is per hour (and its waits are
        # in minutes): a resident gets a burst of per_rid_per_hour checks, then one every few minutes.
        self._rids = RateLimiter(
            per_minute=limits.per_rid_per_hour, max_keys=limits.max_tracked_rids, clock=lambda: clock() / 60
        )

    def admit_address(self, address: str) -> None:
        wait = self._addresses.take(address)
        if wait is not None:
            raise RateLimited(
                ErrorCode.rate_limited, "too many status checks from this address", retry_after=wait
            )

    def admit_rid(self, rid: str) -> None:
        wait = self._rids.take(rid)
        if wait is not None:
            raise RateLimited(
                ErrorCode.rate_limited, "too many status checks for this RID", retry_after=wait * 60
            )

"""MOSIP ABIS API messages: parsing and validating requests, shaping responses.

Requests are MOSIP's JSON (``id``, ``version``, ``requestId``, ``requesttime``, ``referenceId``,
``referenceURL``, ``gallery.referenceIds[].referenceId``, ``flags.maxResults``/``targetFPIR``). MOSIP's
ABIS fetches the CBEFF biometrics from ``referenceURL``; this one accepts only a ``data:`` URL that
carries the CBEFF XML inline (base64), so it never fetches anything from the network. Every field is
bounded; anything wrong raises ``RequestError`` with MOSIP's failure reason code and a plain message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("insert", "identify", "delete", "ping", "referenceCount", "pendingJobs")
ID_PREFIX = "mosip.abis."
MAX_ID_CHARS = 64
MAX_GALLERY = 10_000
MAX_RESULTS = 100
MAX_CBEFF_BYTES = 16 * 1024 * 1024
DATA_URL_PREFIX = "data:application/xml;base64,"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

SUCCESS, FAILED = 1, 2
# MOSIP's failure reasons (ABIS API spec, and its mock ABIS for 6 and 8-18)
INTERNAL_ERROR = 1
UNEXPECTED_ERROR = 3
INVALID_REQUEST = 4
MISSING_REFERENCE_ID = 5
MISSING_REQUEST_ID = 6
UNABLE_TO_FETCH_BIOMETRICS = 7
MISSING_REFERENCE_URL = 8
MISSING_REQUEST_TIME = 9
REFERENCE_ID_EXISTS = 10
CBEFF_HAS_NO_DATA = 11
REFERENCE_ID_NOT_FOUND = 12
INVALID_VERSION = 13
INVALID_ID = 14
INVALID_REQUEST_TIME = 15
INVALID_CBEFF = 16


class RequestError(ValueError):
    """A request ABIS refuses; ``reason`` is MOSIP's failure reason code."""

    def __init__(self, reason: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class AbisRequest:
    action: str  # one of ACTIONS
    request_id: str
    reference_id: str | None = None
    cbeff: bytes | None = None  # the inline CBEFF XML of insert / identify-by-URL
    gallery: tuple[str, ...] | None = None  # identify against these only; None: the whole gallery
    max_results: int = 10
    target_fpir: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def _identifier(value: Any, *, what: str, reason: int) -> str:
    if value is None or value == "":
        raise RequestError(reason, f"{what} is missing")
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise RequestError(INVALID_REQUEST, f"{what} must be 1-{MAX_ID_CHARS} letters, digits or . _ : -")
    return value


def _cbeff_from_url(url: Any) -> bytes:
    if not isinstance(url, str) or not url:
        raise RequestError(MISSING_REFERENCE_URL, "referenceURL is missing")
    if not url.startswith(DATA_URL_PREFIX):
        raise RequestError(
            UNABLE_TO_FETCH_BIOMETRICS,
            f"referenceURL must be a {DATA_URL_PREFIX}... URL (nothing is fetched)",
        )
    encoded = url[len(DATA_URL_PREFIX) :]
    if len(encoded) > MAX_CBEFF_BYTES * 4 // 3 + 4:
        raise RequestError(INVALID_CBEFF, f"the CBEFF document is larger than {MAX_CBEFF_BYTES} bytes")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError(INVALID_CBEFF, "referenceURL does not hold valid base64") from exc
    if not data:
        raise RequestError(CBEFF_HAS_NO_DATA, "the CBEFF document is empty")
    return data


def _int_flag(flags: dict[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = flags.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise RequestError(INVALID_REQUEST, f"flags.{name} must be a whole number") from exc
    if not low <= number <= high:
        raise RequestError(INVALID_REQUEST, f"flags.{name} must be between {low} and {high}")
    return number


def _gallery(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    ids = value.get("referenceIds") if isinstance(value, dict) else None
    if not isinstance(ids, list) or len(ids) > MAX_GALLERY:
        raise RequestError(INVALID_REQUEST, f"gallery.referenceIds must be a list of at most {MAX_GALLERY}")
    return tuple(
        _identifier(
            item.get("referenceId") if isinstance(item, dict) else None,
            what="gallery referenceId",
            reason=MISSING_REFERENCE_ID,
        )
        for item in ids
    )


def parse_request(body: Any) -> AbisRequest:
    """A validated request from decoded JSON; raises ``RequestError``."""
    if not isinstance(body, dict):
        raise RequestError(INVALID_REQUEST, "the request must be a JSON object")
    name = body.get("id")
    if not isinstance(name, str) or not name.startswith(ID_PREFIX) or name[len(ID_PREFIX) :] not in ACTIONS:
        raise RequestError(INVALID_ID, f"id must be one of {', '.join(ID_PREFIX + a for a in ACTIONS)}")
    action = name[len(ID_PREFIX) :]
    version = body.get("version", body.get("ver", "1.1"))
    if version not in ("1.0", "1.1"):
        raise RequestError(INVALID_VERSION, "version must be 1.0 or 1.1")
    request_id = _identifier(body.get("requestId"), what="requestId", reason=MISSING_REQUEST_ID)
    when = body.get("requesttime")
    if not isinstance(when, str) or not when:
        raise RequestError(MISSING_REQUEST_TIME, "requesttime is missing")
    try:
        dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RequestError(INVALID_REQUEST_TIME, "requesttime must be an ISO 8601 time") from exc
    if action in ("ping", "referenceCount", "pendingJobs"):
        return AbisRequest(action, request_id, raw=body)
    if action == "identify":
        flags = body.get("flags") or {}
        if not isinstance(flags, dict):
            raise RequestError(INVALID_REQUEST, "flags must be an object")
        url = body.get("referenceURL", body.get("referenceUrl"))
        reference_id = body.get("referenceId") or None
        if reference_id is None and not url:
            raise RequestError(MISSING_REFERENCE_ID, "identify needs a referenceId or a referenceURL")
        return AbisRequest(
            action,
            request_id,
            reference_id=_identifier(reference_id, what="referenceId", reason=MISSING_REFERENCE_ID)
            if reference_id is not None
            else None,
            cbeff=_cbeff_from_url(url) if url else None,
            gallery=_gallery(body.get("gallery")),
            max_results=_int_flag(flags, "maxResults", low=1, high=MAX_RESULTS) or 10,
            target_fpir=_int_flag(flags, "targetFPIR", low=0, high=100),
            raw=body,
        )
    reference_id = _identifier(body.get("referenceId"), what="referenceId", reason=MISSING_REFERENCE_ID)
    cbeff = (
        _cbeff_from_url(body.get("referenceURL", body.get("referenceUrl"))) if action == "insert" else None
    )
    return AbisRequest(action, request_id, reference_id=reference_id, cbeff=cbeff, raw=body)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def response(action: str, request_id: str, **fields: Any) -> dict[str, Any]:
    """A success response: MOSIP's envelope plus ``fields`` (candidateList, count, jobscount)."""
    return {
        "id": ID_PREFIX + action,
        "requestId": request_id,
        "responsetime": now_text(),
        "returnValue": SUCCESS,
        **fields,
    }


def failure(action: str, request_id: str, reason: int, message: str) -> dict[str, Any]:
    """A failure response; ``message`` is this ABIS's addition for people reading logs."""
    return {
        "id": ID_PREFIX + action,
        "requestId": request_id,
        "responsetime": now_text(),
        "returnValue": FAILED,
        "failureReason": reason,
        "failureMessage": message[:500],
    }

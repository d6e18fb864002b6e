"""MOSIP ABIS API messages as the server writes and reads them.

Requests follow MOSIP's JSON (``id`` ``mosip.abis.<action>``, ``version``, ``requestId``,
``requesttime``, ``referenceId``, ``referenceURL``, ``gallery.referenceIds``, ``flags.maxResults``). The
biometrics go as MOSIP's CBEFF XML inside a ``data:`` ``referenceURL``, so the ABIS needs no way back
into the server. Answers are validated and bounded before anything is stored.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any

from device_drivers.iso.cbeff import CbeffEntry, write_cbeff
from sync_server.abis.port import MAX_RESULTS, AbisResult, BiometricRecord, Candidate

DATA_URL_PREFIX = "data:application/xml;base64,"
_CBEFF_TYPES = {"finger": "Finger", "iris": "Iris", "face": "Face"}
_MODALITY_OF_TYPE = {"FIR": "finger", "FMR": "finger", "IIR": "iris", "FID": "face", "FACE": "face"}


class AbisAnswerError(ValueError):
    """The ABIS answered something that is not a MOSIP ABIS response for this request."""


def cbeff_of(records: Sequence[BiometricRecord]) -> bytes:
    """The records as one CBEFF XML document (MOSIP's packet format for biometrics)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return write_cbeff([CbeffEntry(_CBEFF_TYPES[r.modality], r.subtype, 0, r.data, now) for r in records])


def request_body(
    *,
    action: str,
    request_id: str,
    reference_id: str,
    payload: bytes | None,
    gallery: Sequence[str] | None,
    max_results: int | None,
    at: dt.datetime,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"mosip.abis.{action}",
        "version": "1.1",
        "requestId": request_id,
        "requesttime": at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if action == "identify" and payload:
        # a probe that is not in the gallery: MOSIP's referenceURL form (referenceId would name a stored entry)
        body["referenceURL"] = DATA_URL_PREFIX + base64.b64encode(payload).decode()
    else:
        body["referenceId"] = reference_id
        if payload:
            body["referenceURL"] = DATA_URL_PREFIX + base64.b64encode(payload).decode()
    if action == "identify":
        body["flags"] = {"maxResults": max_results or 10}
        if gallery is not None:
            body["gallery"] = {"referenceIds": [{"referenceId": ref} for ref in gallery]}
    return body


def _score(analytics: Any) -> float:
    if not isinstance(analytics, dict):
        raise AbisAnswerError("candidate analytics must be an object")
    try:
        value = float(analytics.get("confidence", analytics.get("scaledScore")))
    except (TypeError, ValueError) as exc:
        raise AbisAnswerError("candidate has no numeric confidence") from exc
    if not 0 <= value <= 100:
        raise AbisAnswerError(f"candidate confidence {value} is outside 0-100")
    return round(value, 2)


def _candidate(item: Any) -> Candidate:
    if not isinstance(item, dict):
        raise AbisAnswerError("a candidate must be an object")
    ref = item.get("referenceId")
    if not isinstance(ref, str) or not 0 < len(ref) <= 64:
        raise AbisAnswerError("a candidate has no valid referenceId")
    per_modality: dict[str, float] = {}
    modalities = item.get("modalities", [])
    if not isinstance(modalities, list) or len(modalities) > 8:
        raise AbisAnswerError("candidate modalities must be a short list")
    for entry in modalities:
        kind = entry.get("biometricType") if isinstance(entry, dict) else None
        if kind in _MODALITY_OF_TYPE:
            per_modality[_MODALITY_OF_TYPE[kind]] = _score(entry.get("analytics"))
    return Candidate(ref, _score(item.get("analytics", {})), per_modality)


def parse_answer(body: Any, *, action: str, request_id: str, reference_id: str) -> AbisResult:
    """The validated result of one answer; raises ``AbisAnswerError`` if it does not fit the request."""
    if not isinstance(body, dict):
        raise AbisAnswerError("the answer is not a JSON object")
    if body.get("requestId") != request_id:
        raise AbisAnswerError(f"the answer is for request {str(body.get('requestId'))[:64]!r}")
    value = body.get("returnValue")
    if str(value) == "2":
        reason = body.get("failureReason")
        return AbisResult(
            request_id,
            action,
            reference_id,
            ok=False,  # type: ignore[arg-type]
            failure_reason=int(reason) if str(reason).isdigit() else None,
            failure_message=str(body.get("failureMessage", ""))[:500],
        )
    if str(value) != "1":
        raise AbisAnswerError(f"returnValue {str(value)[:16]!r} is neither 1 nor 2")
    candidates: tuple[Candidate, ...] = ()
    if action == "identify":
        listing = body.get("candidateList") or {}
        items = listing.get("candidates", []) if isinstance(listing, dict) else None
        if not isinstance(items, list) or len(items) > MAX_RESULTS:
            raise AbisAnswerError(f"candidateList.candidates must be a list of at most {MAX_RESULTS}")
        candidates = tuple(_candidate(item) for item in items)
    return AbisResult(request_id, action, reference_id, ok=True, candidates=candidates)  # type: ignore[arg-type]


def result_to_json(result: AbisResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "candidates": [
            {"reference_id": c.reference_id, "score": c.score, "modality_scores": c.modality_scores}
            for c in result.candidates
        ],
        "failure_reason": result.failure_reason,
        "failure_message": result.failure_message,
    }


def result_from_json(data: dict[str, Any], *, request_id: str, action: str, reference_id: str) -> AbisResult:
    return AbisResult(
        request_id,
        action,  # type: ignore[arg-type]
        reference_id,
        ok=bool(data.get("ok")),
        candidates=tuple(
            Candidate(c["reference_id"], float(c["score"]), dict(c.get("modality_scores", {})))
            for c in data.get("candidates", [])
        ),
        failure_reason=data.get("failure_reason"),
        failure_message=str(data.get("failure_message", "")),
    )

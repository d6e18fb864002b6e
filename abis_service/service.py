"""The four MOSIP ABIS actions (and the two counts) over the gallery and the matchers.

``AbisService.handle(body)`` takes a decoded JSON request and returns the JSON response; it never raises
for a bad request (the response says ``returnValue`` 2 and why). It is idempotent by ``requestId``: an id
already answered gets the same answer again. Calls are serialised by one lock (matching is CPU-bound and
the gallery cache is shared); the HTTP layer may call from many threads.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from abis_service import wire
from abis_service.gallery import Gallery
from abis_service.templates import (
    BIOMETRIC_TYPES,
    LoadedTemplate,
    TemplateError,
    load,
    score,
    templates_from_cbeff,
)

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 40.0  # fused scores below this are no candidate (docs/abis.md)


class AbisService:
    def __init__(self, db_path: Path, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self._gallery = Gallery(db_path)
        self._threshold = threshold
        self._lock = threading.Lock()
        # loaded templates of the whole gallery, read once at start and kept in step with inserts/deletes
        self._cache: dict[str, list[LoadedTemplate]] = {
            ref: load(templates) for ref, templates in self._gallery.templates().items()
        }

    def close(self) -> None:
        with self._lock:
            self._gallery.close()

    def handle(self, body: Any) -> dict[str, Any]:
        action = str(body.get("id", ""))[len(wire.ID_PREFIX) :] if isinstance(body, dict) else ""
        request_id = str(body.get("requestId", ""))[:64] if isinstance(body, dict) else ""
        try:
            request = wire.parse_request(body)
        except wire.RequestError as exc:
            return wire.failure(action, request_id, exc.reason, str(exc))
        with self._lock:
            earlier = self._gallery.answer(request.request_id)
            if earlier is not None:
                if earlier[0] != request.action:
                    return wire.failure(
                        request.action,
                        request.request_id,
                        wire.INVALID_REQUEST,
                        f"requestId was already used for {earlier[0]}",
                    )
                return earlier[1]
            try:
                return getattr(self, f"_{request.action}")(request)
            except wire.RequestError as exc:
                answer = wire.failure(request.action, request.request_id, exc.reason, str(exc))
            except TemplateError as exc:
                answer = wire.failure(
                    request.action, request.request_id, wire.UNABLE_TO_FETCH_BIOMETRICS, str(exc)
                )
            except Exception:  # a matcher bug must not take the service down; the answer says so
                log.exception("request %s failed", request.request_id)
                answer = wire.failure(
                    request.action, request.request_id, wire.INTERNAL_ERROR, "internal error"
                )
            if request.action in ("insert", "identify", "delete"):
                self._gallery.remember(request.request_id, request.action, answer)
            return answer

    # -- actions (called under the lock) ---------------------------------------------------------------
    def _ping(self, request: wire.AbisRequest) -> dict[str, Any]:
        return wire.response("ping", request.request_id)

    def _referenceCount(self, request: wire.AbisRequest) -> dict[str, Any]:
        return wire.response("referenceCount", request.request_id, count=str(self._gallery.count()))

    def _pendingJobs(self, request: wire.AbisRequest) -> dict[str, Any]:
        return wire.response("pendingJobs", request.request_id, jobscount="0")  # answered as they come

    def _insert(self, request: wire.AbisRequest) -> dict[str, Any]:
        assert request.reference_id is not None and request.cbeff is not None
        if request.reference_id in self._cache:
            raise wire.RequestError(
                wire.REFERENCE_ID_EXISTS, f"referenceId {request.reference_id} is already in the gallery"
            )
        templates = templates_from_cbeff(request.cbeff)
        answer = wire.response("insert", request.request_id)
        self._gallery.insert(
            request.reference_id, templates, at=wire.now_text(), request_id=request.request_id, answer=answer
        )
        self._cache[request.reference_id] = load(templates)
        return answer

    def _delete(self, request: wire.AbisRequest) -> dict[str, Any]:
        assert request.reference_id is not None
        if request.reference_id not in self._cache:
            raise wire.RequestError(
                wire.REFERENCE_ID_NOT_FOUND, f"referenceId {request.reference_id} is not in the gallery"
            )
        answer = wire.response("delete", request.request_id)
        self._gallery.delete(request.reference_id, request_id=request.request_id, answer=answer)
        self._cache.pop(request.reference_id, None)
        return answer

    def _identify(self, request: wire.AbisRequest) -> dict[str, Any]:
        started = time.perf_counter()
        if request.cbeff is not None:
            probe = load(templates_from_cbeff(request.cbeff))
        elif request.reference_id in self._cache:
            probe = self._cache[request.reference_id]
        else:
            raise wire.RequestError(
                wire.REFERENCE_ID_NOT_FOUND, f"referenceId {request.reference_id} is not in the gallery"
            )
        if request.gallery is not None:
            missing = [ref for ref in request.gallery if ref not in self._cache]
            if missing:
                raise wire.RequestError(
                    wire.REFERENCE_ID_NOT_FOUND, f"gallery referenceId {missing[0]} is not in the gallery"
                )
            searched = request.gallery
        else:
            searched = tuple(self._cache)
        floor = float(request.target_fpir) if request.target_fpir is not None else self._threshold
        found = []
        for ref in searched:
            if ref == request.reference_id:
                continue  # never the probe itself
            fused, per_modality = score(probe, self._cache[ref])
            if fused >= floor:
                found.append((fused, ref, per_modality))
        found.sort(key=lambda item: (-item[0], item[1]))
        candidates = [
            _candidate(ref, fused, per_modality) for fused, ref, per_modality in found[: request.max_results]
        ]
        log.info(
            "identify %s: %d searched, %d candidates, %.0f ms",
            request.request_id,
            len(searched),
            len(candidates),
            (time.perf_counter() - started) * 1000,
        )
        return wire.response(
            "identify",
            request.request_id,
            candidateList={"count": str(len(candidates)), "candidates": candidates},
        )


def _candidate(reference_id: str, fused: float, per_modality: dict[str, float]) -> dict[str, Any]:
    return {
        "referenceId": reference_id,
        "analytics": {"confidence": f"{fused:.2f}", "internalScore": f"{fused:.2f}"},
        "modalities": [
            {
                "biometricType": BIOMETRIC_TYPES[m],
                "analytics": {"confidence": f"{s:.2f}", "internalScore": f"{s:.2f}"},
            }
            for m, s in per_modality.items()
        ],
    }

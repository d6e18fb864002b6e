"""The ABIS as the processing stages use it (``processing.ports.BiometricIdentify``).

``identify`` queues one request per packet and purpose (``identify-<RID>`` against everyone,
``verify-<RID>`` against the resident's own UIN), holds the packet (``Held("abis_pending")``)
until the dispatcher stores the answer, then returns the scores per UIN. The dispatcher's
``on_answer`` resumes the packet (``resume_waiting``); the queue also re-runs a packet waiting for
the ABIS now and then, so an answer that arrives before the hold is stored is never missed.
``insert`` queues the gallery insert of a new UIN (``insert-<UIN>``); it needs no answer to go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from sync_server.abis.port import AbisPort, AbisRequestInfo, BiometricRecord
from sync_server.processing import queue
from sync_server.processing.pipeline import Held


def _records(views: Sequence[Any]) -> list[BiometricRecord]:
    return [BiometricRecord(v.modality, v.subtype, v.format, v.data) for v in views if not v.exception]


class AbisIdentify:
    def __init__(self, port: AbisPort) -> None:
        self.port = port

    def identify(self, *, rid: str, records: list[Any], gallery: list[str] | None) -> dict[str, float]:
        request_id = f"identify-{rid}" if gallery is None else f"verify-{rid}"
        info = self.port.request(request_id)
        if info is None:
            self.port.identify(
                request_id=request_id, reference_id=rid, records=_records(records), gallery=gallery
            )
            raise Held("abis_pending", "waiting for the ABIS to compare the biometrics")
        if info.status == "failed" or (info.result is not None and not info.result.ok):
            message = info.result.failure_message if info.result else info.last_error
            raise RuntimeError(f"the ABIS could not answer {request_id}: {message or 'failed'}")
        if info.result is None:
            raise Held("abis_pending", "waiting for the ABIS to compare the biometrics")
        return {c.reference_id: float(c.score) for c in info.result.candidates}

    def insert(self, *, uin: str, rid: str, records: list[Any]) -> None:
        if self.port.request(f"insert-{uin}") is None:
            self.port.insert(request_id=f"insert-{uin}", reference_id=uin, records=_records(records))


def resume_waiting(engine: Engine, info: AbisRequestInfo) -> None:
    """The dispatcher's ``on_answer``: a packet held for this answer runs again now."""
    if info.action == "identify":
        with engine.begin() as conn:
            queue.resume(conn, rid=info.reference_id, reason_codes=("abis_pending",))

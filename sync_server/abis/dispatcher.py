"""``AbisDispatcher``: delivers queued ABIS requests to the ABIS process and stores its answers.

The ABIS answers each request in the body of the HTTP response (no callback into the server): the
request table is the outbound queue, the response the inbound message, and because the ABIS is
idempotent by request id a response lost on the way is recovered by sending the request again.

Thread rules: ``start()`` runs the loop on one daemon thread; ``run_once()`` does one delivery on the
caller's thread (tests, or a worker that prefers to drive it). ``on_answer(info)`` is called on the
delivering thread after the answer is committed, once per request (a failing callback is logged and
not retried: ``result()`` still has the answer). ``wake()`` may be called from any thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import RowMapping

from sync_server.abis import mosip
from sync_server.abis.http_client import AbisHttpClient, AbisRefused, AbisUnavailable
from sync_server.abis.port import AbisRequestInfo
from sync_server.abis.queue import claim_head, finish, info_of, retry_later
from sync_server.abis.tables import abis_requests

log = logging.getLogger(__name__)


class AbisDispatcher:
    def __init__(
        self,
        engine: Engine,
        client: AbisHttpClient,
        *,
        on_answer: Callable[[AbisRequestInfo], None] | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        poll_interval_s: float = 1.0,
        max_server_errors: int = 5,
    ) -> None:
        """``lease`` must exceed the longest identify; backoff doubles from ``first_backoff_s`` up to
        ``max_backoff_s`` while the ABIS is unreachable (retried for ever: nothing is dropped); a request
        the ABIS refuses (4xx) or that got ``max_server_errors`` 5xx answers is marked failed."""
        self._engine = engine
        self._client = client
        self.on_answer = on_answer
        self._lease = lease
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        self._poll_interval_s = poll_interval_s
        self._max_server_errors = max_server_errors
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="abis-dispatcher", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the delivery in hand (which may take up to the client's timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def wake(self) -> None:
        """Look at the queue now instead of at the next poll (e.g. right after a request is queued)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_once()
            except Exception:  # the database may be briefly unavailable: log and keep the thread alive
                log.exception("ABIS dispatcher iteration failed")
                delivered = False
            if not delivered:
                self._wake.wait(self._poll_interval_s)
                self._wake.clear()

    def run_once(self) -> bool:
        """Deliver the request at the head of the queue if it is due; True if one was delivered or retried."""
        claim = claim_head(self._engine, lease=self._lease)
        if claim is None:
            return False
        row, token = claim
        body = mosip.request_body(
            action=row["action"],
            request_id=row["request_id"],
            reference_id=row["reference_id"],
            payload=row["payload"],
            gallery=row["gallery"],
            max_results=row["max_results"],
            at=row["created_at"],
        )
        try:
            answer = self._client.send(body)
            result = mosip.parse_answer(
                answer, action=row["action"], request_id=row["request_id"], reference_id=row["reference_id"]
            )
        except AbisUnavailable as exc:
            if exc.server_error and row["attempts"] + 1 >= self._max_server_errors:
                return self._finish(row, token, _failure(str(exc)))
            delay = min(self._max_backoff_s, self._first_backoff_s * 2 ** min(row["attempts"], 16))
            log.warning("ABIS request %s not delivered (%s); retry in %.1f s", row["request_id"], exc, delay)
            retry_later(
                self._engine, seq=row["seq"], token=token, delay=dt.timedelta(seconds=delay), error=str(exc)
            )
            return True
        except (AbisRefused, mosip.AbisAnswerError) as exc:
            return self._finish(row, token, _failure(str(exc)))
        return self._finish(row, token, mosip.result_to_json(result))

    def _finish(self, row: RowMapping, token: str, response: dict[str, Any]) -> bool:
        status = "answered" if response.get("ok") else "failed"
        if not finish(self._engine, seq=row["seq"], token=token, status=status, response=response):
            log.warning("ABIS request %s: claim lost before the answer was stored", row["request_id"])
            return True
        if self.on_answer is not None:
            with self._engine.connect() as conn:
                stored = (
                    conn.execute(abis_requests.select().where(abis_requests.c.seq == row["seq"]))
                    .mappings()
                    .one()
                )
            try:
                self.on_answer(info_of(stored))
            except Exception:
                log.exception("on_answer failed for ABIS request %s", row["request_id"])
        return True


def _failure(message: str) -> dict[str, Any]:
    return {"ok": False, "candidates": [], "failure_reason": None, "failure_message": message[:500]}

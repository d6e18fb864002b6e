"""The sender: take due outbox rows one at a time, render, send through their channel, record the result.

Several senders (threads of one process, or processes on several hosts) may run against one
database: each row is claimed (``outbox.claim_due``) just before it is sent, for a lease longer than
one send can take; a sender that dies mid-send leaves its row due again when the lease ends, so no
notification is lost (one may go out twice; its reference is the same both times).

A failed send is retried with exponential backoff (:class:`Backoff`); a permanent refusal, or the
last allowed attempt, marks the row ``failed`` with its (bounded) error, for an admin to see and, once
the cause is fixed, to put back with ``outbox.retry_failed``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from sync_server.notifications import outbox
from sync_server.notifications.channels import Channel, DeliveryError, Message
from sync_server.notifications.sealing import Sealer, SealError, open_payload, row_aad
from sync_server.notifications.templates import TemplateSource, render
from sync_server.services.clock import utcnow

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=5)  # longer than any send: SMTP is a few timeouts in a row at worst


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt ``n + 1`` after attempt ``n`` failed: ``base * 2**(n-1)``, at most ``cap``;
    after ``max_attempts`` the row is given up (the same shape as processing's RetryPolicy)."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds < 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("max_attempts >= 1 and 0 <= base_seconds <= cap_seconds")

    def delay(self, attempt: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1)))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


def reference(claim: outbox.Claimed) -> str:
    """The same for every attempt at one row: a receiving side can spot a repeat."""
    return f"{claim.rid}-{claim.event}-{claim.channel}"


class NotificationSender:
    """Sends the outbox. Call :meth:`run_once` or :meth:`run_until` from one thread per instance."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        templates: TemplateSource,
        sealer: Sealer,
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        default_language: str = "eng",
        backoff: Backoff | None = None,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        self.engine = engine
        self.channels = dict(channels)
        self.templates = templates
        self.sealer = sealer
        self.clock = clock
        self.default_language = default_language
        self.backoff = backoff or Backoff()
        self.lease = lease

    def run_once(self, limit: int = 20) -> int:
        """Send up to ``limit`` due messages; returns how many were attempted (sent or not)."""
        if not self.channels:
            return 0
        handled = 0
        while handled < limit:
            claims = outbox.claim_due(
                self.engine, channels=self.channels, limit=1, lease=self.lease, now=self.clock()
            )
            if not claims:
                break
            self._deliver(claims[0])
            handled += 1
        return handled

    def run_until(self, stop: threading.Event, *, idle_seconds: float = 5.0, limit: int = 20) -> None:
        """Send until ``stop`` is set, resting ``idle_seconds`` when nothing is due. A database error
        is logged and waited out, never fatal: the rows stay in the outbox."""
        while not stop.is_set():
            try:
                handled = self.run_once(limit)
            except Exception:
                log.exception("notification sender: outbox unavailable; trying again in %s s", idle_seconds)
                handled = 0
            if handled < limit:
                stop.wait(idle_seconds)

    def _deliver(self, claim: outbox.Claimed) -> None:
        try:
            message = self._message(claim)
        except SealError as exc:  # no key can open it: retrying will not change that
            self._unsent(claim, str(exc), permanent=True)
            return
        except Exception as exc:  # e.g. the template source's database is down: try again later
            self._unsent(claim, f"could not render the message: {type(exc).__name__}: {exc}", permanent=False)
            return
        try:
            self.channels[claim.channel].send(message)
        except DeliveryError as exc:
            self._unsent(claim, str(exc), permanent=exc.permanent)
        except Exception as exc:  # an adapter bug must not lose the row; the address stays out of the log
            detail = str(exc).replace(message.to, "<recipient>")
            self._unsent(claim, f"{type(exc).__name__}: {detail}", permanent=False)
        else:
            if outbox.mark_sent(self.engine, claim, now=self.clock()):
                log.info(
                    "notification %s sent (%s, %s, attempt %d)",
                    claim.id,
                    claim.event,
                    claim.channel,
                    claim.attempt,
                )
            else:
                log.warning("notification %s was sent after its claim lapsed; it may go out twice", claim.id)

    def _message(self, claim: outbox.Claimed) -> Message:
        aad = row_aad(claim.rid, claim.event, claim.channel)
        to, values = open_payload(self.sealer, key_id=claim.key_id, blob=claim.payload, aad=aad)
        rendered = render(
            self.templates,
            event=claim.event,
            channel=claim.channel,
            language=claim.language,
            default_language=self.default_language,
            values=values,
        )
        return Message(
            reference=reference(claim),
            to=to,
            subject=rendered.subject,
            body=rendered.body,
            language=rendered.language,
        )

    def _unsent(self, claim: outbox.Claimed, error: str, *, permanent: bool) -> None:
        give_up = permanent or self.backoff.gives_up(claim.attempt)
        retry_at = None if give_up else self.clock() + self.backoff.delay(claim.attempt)
        outbox.mark_unsent(self.engine, claim, error=error, retry_at=retry_at)
        log.warning(
            "notification %s (%s, %s) attempt %d %s: %s",
            claim.id,
            claim.event,
            claim.channel,
            claim.attempt,
            "failed for good" if give_up else f"will be retried at {retry_at:%Y-%m-%d %H:%M:%S}Z",
            outbox.bound_error(error),
        )
